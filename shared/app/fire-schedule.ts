import { ConcurrencyConflictError, isTributaryError } from '#domain/errors.ts';
import { fireKeyOf, jitterMsOf, MAX_BUFFERED_FIRES, nextFireAfter, type OverlapPolicy } from '#domain/schedule-spec.ts';
import { FIRE_OUTCOME_OF, isDeletedSchedule, isPausedSchedule, type FireOutcome } from '#domain/schedule-transitions.ts';
import { isEndedProcess } from '#domain/status-predicates.ts';
import { StoredSpecSchema, type BackfillCursor, type FireItem, type ScheduleItem } from '#schemas/schedules.ts';
import type { AppDeps } from './deps.ts';
import { cancelProcess } from './end-process.ts';
import type { FireDecision, ScheduleFireState } from './ports.ts';
import { processIdOfKey, startProcess } from './start-process.ts';
import { instant } from './timestamps.ts';

/** How often the deployed scheduler ticks: a schedule with buffered fires looks at its running process this often. */
export const SCHEDULER_TICK_MS = 60_000;
/** Fires one call handles at most (clock, backfill and buffered together), besides its time budget. */
export const FIRES_PER_CALL = 200;
/** Lost races with another scheduler (or a PUT) before a step gives up for this tick. */
const STEP_ATTEMPTS = 3;

/** What one step of a schedule was asked to do besides its due clock fires. */
export interface StepRequest {
  /** Fire once now (`POST /schedules/{name}/trigger`), through the overlap policy. */
  readonly trigger?: boolean;
  /** Start a backfill (`POST /schedules/{name}/backfill`). */
  readonly backfill?: Omit<BackfillCursor, 'next'>;
  /** How long the step may start new fires. @default the API call's budget */
  readonly budgetMs?: number;
}

export interface StepResult {
  readonly schedule: ScheduleItem;
  /** Fires handled by this step, in order. */
  readonly fired: readonly FireItem[];
  /** The trigger's fire, when asked. */
  readonly triggered?: FireItem;
}

/**
 * One step of a schedule: sees whether its running process ended, starts what
 * was buffered, fires every clock time that is due (late ones inside the
 * catch-up window, `missed` outside it), the trigger, and a budget of the
 * backfill; then moves the schedule on with one write locked on its version.
 *
 * Exactly once: each time's decision is a fire record written once, before
 * the start, and the start's idempotency key comes from the schedule, its
 * generation and the time. A crash anywhere, or a second scheduler, redoes
 * the step: it finds the records, carries out the same decisions, and the
 * starts name the processes already started.
 *
 * @example
 * await stepSchedule(deps, 'nightly'); // fires what is due
 */
export async function stepSchedule(deps: AppDeps, name: string, request: StepRequest = {}): Promise<StepResult | undefined> {
  const at = instant(deps);
  for (let attempt = 0; attempt < STEP_ATTEMPTS; attempt++) {
    const current = await deps.schedules.get({ name });
    if (!current || isDeletedSchedule(current.status)) return undefined;
    const step = new Step(deps, current, at.now, at.iso, at.now + (request.budgetMs ?? deps.settings.followUpBudgetMs));
    if (request.backfill) {
      if (current.backfillJson !== undefined) throw new ConcurrencyConflictError(`schedule '${name}': a backfill is under way; wait until it is done`);
      step.state.backfill = { ...request.backfill, next: firstAtOrAfter(step, request.backfill.from) };
    }
    await step.run(request.trigger === true);
    const written = await deps.schedules.setState({ current, event: 'advance', state: step.finalState(), iso: at.iso });
    if (written.ok) return { schedule: written.item, fired: step.fired, ...(step.triggered ? { triggered: step.triggered } : {}) };
    // Another scheduler or a PUT moved it: read again and redo (the records make the redo start nothing twice).
  }
  throw new ConcurrencyConflictError(`schedule '${name}'`);
}

/** The outcome name of a fire record. */
export function outcomeOf(fire: FireItem): FireOutcome {
  return FIRE_OUTCOME_OF[fire.status];
}

function firstAtOrAfter(step: Step, from: number): number {
  return nextFireAfter(step.spec, from - 1) ?? Number.POSITIVE_INFINITY;
}

interface MutableState {
  nextFireAt?: number;
  running?: string;
  buffered: number[];
  backfill?: BackfillCursor;
}

class Step {
  readonly spec;
  readonly state: MutableState;
  readonly fired: FireItem[] = [];
  triggered?: FireItem;

  constructor(
    private readonly deps: AppDeps,
    private readonly item: ScheduleItem,
    private readonly now: number,
    private readonly iso: string,
    private readonly deadline: number,
  ) {
    this.spec = StoredSpecSchema.parse(JSON.parse(item.specJson));
    this.state = {
      ...(item.nextFireAt === undefined ? {} : { nextFireAt: item.nextFireAt }),
      ...(item.running === undefined ? {} : { running: item.running }),
      buffered: [...(item.buffered ?? [])],
      ...(item.backfillJson === undefined ? {} : { backfill: JSON.parse(item.backfillJson) as BackfillCursor }),
    };
  }

  private budgetLeft(): boolean {
    return this.fired.length < FIRES_PER_CALL && this.deps.now() < this.deadline;
  }

  private dueAtOf(t: number): number {
    return t + jitterMsOf(fireKeyOf(this.item.name, this.item.generation, t), this.spec.jitterSeconds);
  }

  async run(trigger: boolean): Promise<void> {
    await this.checkRunning();
    while (this.state.running === undefined && this.state.buffered.length > 0 && this.budgetLeft()) await this.startBuffered(this.state.buffered.shift()!);
    while (!isPausedSchedule(this.item.status) && this.state.nextFireAt !== undefined && this.dueAtOf(this.state.nextFireAt) <= this.now && this.budgetLeft()) {
      const t = this.state.nextFireAt;
      const late = this.now - t > this.spec.catchupWindowSeconds * 1000;
      await this.fire(t, 'clock', late ? 'miss' : this.spec.overlap);
      const next = nextFireAfter(this.spec, t);
      if (next === undefined) delete this.state.nextFireAt;
      else this.state.nextFireAt = next;
    }
    if (trigger) this.triggered = await this.fire(this.now, 'trigger', this.spec.overlap);
    while (this.state.backfill !== undefined && this.budgetLeft()) {
      const cursor = this.state.backfill;
      if (!(cursor.next < cursor.to)) {
        delete this.state.backfill;
        break;
      }
      await this.fire(cursor.next, 'backfill', cursor.overlap);
      this.state.backfill = { ...cursor, next: nextFireAfter(this.spec, cursor.next) ?? Number.POSITIVE_INFINITY };
    }
    if (this.state.backfill !== undefined && !(this.state.backfill.next < this.state.backfill.to)) delete this.state.backfill;
  }

  finalState(): ScheduleFireState {
    const s = this.state;
    const due: number[] = [];
    if (!isPausedSchedule(this.item.status) && s.nextFireAt !== undefined) due.push(this.dueAtOf(s.nextFireAt));
    // Buffered fires wait for the running process: the next tick looks again.
    if (s.buffered.length > 0) due.push(s.running === undefined ? this.now : this.now + SCHEDULER_TICK_MS);
    if (s.backfill !== undefined) due.push(this.now);
    return {
      ...(s.nextFireAt === undefined ? {} : { nextFireAt: s.nextFireAt }),
      ...(s.running === undefined ? {} : { running: s.running }),
      buffered: s.buffered,
      ...(s.backfill === undefined ? {} : { backfill: s.backfill }),
      ...(due.length === 0 ? {} : { dueAt: Math.min(...due) }),
    };
  }

  /** The running process is forgotten once it has ended (or expired). */
  private async checkRunning(): Promise<void> {
    if (this.state.running === undefined) return;
    const p = await this.deps.processes.get({ id: this.state.running });
    if (!p || isEndedProcess(p.status)) delete this.state.running;
  }

  /** Decides one time by the policy (or finds the decision already recorded for it), then carries the decision out. */
  private async fire(t: number, source: FireItem['source'], policy: OverlapPolicy | 'miss'): Promise<FireItem> {
    const key = fireKeyOf(this.item.name, this.item.generation, t);
    const processId = processIdOfKey(key);
    const decision = this.decide(policy, processId, t, source);
    const decided = await this.deps.schedules.decide({ name: this.item.name, decision });
    const record = decided.ok ? decided.item : decided.current;
    if (!record) throw new ConcurrencyConflictError(`fire ${new Date(t).toISOString()} of schedule '${this.item.name}'`);
    const done = await this.carryOut(record, t, key);
    this.fired.push(done);
    return done;
  }

  private decide(policy: OverlapPolicy | 'miss', processId: string, t: number, source: FireItem['source']): FireDecision {
    const base = { scheduledAt: t, firedAt: this.iso, source, expiresAt: instant(this.deps).expiresAt };
    const running = this.state.running;
    if (policy === 'miss') return { ...base, event: 'miss' };
    if (running === undefined || policy === 'allowAll') return { ...base, event: 'start', processId };
    switch (policy) {
      case 'skip':
        return { ...base, event: 'skip' };
      case 'bufferOne':
        return this.state.buffered.length === 0 ? { ...base, event: 'buffer', processId } : { ...base, event: 'skip' };
      case 'bufferAll':
        return this.state.buffered.length < MAX_BUFFERED_FIRES ? { ...base, event: 'buffer', processId } : { ...base, event: 'skip' };
      case 'cancelOther':
        return { ...base, event: 'cancelOther', processId, cancelled: running };
    }
  }

  private async carryOut(record: FireItem, t: number, key: string): Promise<FireItem> {
    switch (FIRE_OUTCOME_OF[record.status]) {
      case 'cancelledOther':
        if (record.cancelled !== undefined) await this.cancelQuietly(record.cancelled);
        return this.start(record, t, key);
      case 'started':
        return this.start(record, t, key);
      case 'buffered':
        if (!this.state.buffered.includes(t)) this.state.buffered.push(t);
        return record;
      default:
        return record;
    }
  }

  private async startBuffered(t: number): Promise<void> {
    const key = fireKeyOf(this.item.name, this.item.generation, t);
    const moved = await this.deps.schedules.updateFire({ name: this.item.name, scheduledAt: t, change: { event: 'startBuffered', firedAt: this.iso } });
    const record = moved.ok ? moved.item : moved.current;
    // Already started by an earlier try (STARTED), or failed: carry out what the record says.
    if (record) this.fired.push(await this.carryOut(record, t, key));
  }

  /** Starts the fire's process (idempotent by its key); a start refused for good is recorded `failed`. */
  private async start(record: FireItem, t: number, key: string): Promise<FireItem> {
    const spec = this.spec;
    try {
      const { process } = await startProcess(this.deps, {
        definition: spec.definition,
        ...(spec.version === undefined ? {} : { version: spec.version }),
        ...(spec.input === undefined ? {} : { input: spec.input }),
        idempotencyKey: key,
      });
      this.state.running = process.id;
      return record;
    } catch (error) {
      if (!isTributaryError(error) || error.retryable) throw error;
      this.deps.log.warn('schedule fire refused', { schedule: this.item.name, scheduledAt: new Date(t).toISOString(), code: error.code, message: error.message });
      const failed = await this.deps.schedules.updateFire({ name: this.item.name, scheduledAt: t, change: { event: 'failStart', message: `${error.code}: ${error.message}`.slice(0, 1000) } });
      return (failed.ok ? failed.item : failed.current) ?? record;
    }
  }

  private async cancelQuietly(id: string): Promise<void> {
    try {
      await cancelProcess(this.deps, id, `cancelled by schedule '${this.item.name}' (overlap cancelOther)`);
    } catch (error) {
      // It ended on its own, or is gone: nothing to cancel.
      if (!isTributaryError(error) || error.retryable) throw error;
    }
  }
}
