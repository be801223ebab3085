import { isTributaryError, ValidationError } from '#domain/errors.ts';
import type { ProcessItem } from '#schemas/items.ts';
import { budgetedPass } from './budgeted-pass.ts';
import type { AppDeps } from './deps.ts';
import { getDefinition } from './definitions.ts';
import { rerunProcess } from './rerun-process.ts';
import { instant } from './timestamps.ts';
import { PROCESS_STATUS } from '#domain/status-predicates.ts';

/** The body of `POST /processes/rerun`. */
export interface RerunManyRequest {
  readonly definition: string;
  /** Which ended processes (default FAILED). */
  readonly status?: typeof PROCESS_STATUS.failed | typeof PROCESS_STATUS.cancelled;
  /** Only processes that failed because of this task. */
  readonly failedTask?: string;
  /** Only processes started at or after this instant (ISO). */
  readonly startedAfter?: string;
  /** Only processes started before this instant (ISO). */
  readonly startedBefore?: string;
  readonly fromTasks?: readonly string[];
  readonly version?: number;
  /** Most processes matched by this call (default 100, at most 1000). */
  readonly limit?: number;
  /** List what would be rerun; change nothing. */
  readonly dryRun?: boolean;
  readonly nextToken?: string;
}

export interface RerunManyOutcome {
  /** Processes this call found that match the query. */
  readonly matched: number;
  /** The ids rerun (or, dry, that would be). */
  readonly rerun: readonly string[];
  /** Matched processes not rerun, and why (e.g. IncompatibleVersion). */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  /** Present when there may be more: call again with it. */
  readonly nextToken?: string;
}

export const DEFAULT_RERUN_LIMIT = 100;
export const MAX_RERUN_LIMIT = 1000;
/** Index entries read per query: small, so that a call stops soon after its budget. */
const PAGE = 25;
/** Index entries one call looks at, at most, whatever matched: filtered-out processes cost reads too. */
const MAX_EXAMINED_PER_MATCH = 10;
/** Reruns in flight at once. */
const RERUN_LANES = 4;

/**
 * Reruns many ended processes at once, found through the status index
 * (never a scan): one definition, FAILED (default) or CANCELLED, optionally
 * only those that failed because of `failedTask` and those started within a
 * time window. Each is rerun as `POST /processes/{id}/rerun` would
 * (`fromTasks`, `version`); one that cannot be (an incompatible version, a
 * rerun racing this one) is listed in `skipped` with the reason, and the
 * others go on.
 *
 * Each call does bounded work: at most `limit` matches, at most ten times as
 * many index entries, and no new page after the call's time budget. Each
 * rerun plans and starts its pass within what is left of that budget (a
 * chunk of each at least), and the sweeper finishes every pass. The
 * caller goes on with `nextToken` until there is none. `dryRun` lists what
 * would be rerun and writes nothing.
 *
 * @example
 * let page = await rerunProcesses(deps, { definition: 'loan', failedTask: 'Score' });
 * while (page.nextToken) page = await rerunProcesses(deps, { definition: 'loan', failedTask: 'Score', nextToken: page.nextToken });
 */
export async function rerunProcesses(deps: AppDeps, body: RerunManyRequest): Promise<RerunManyOutcome> {
  const limit = body.limit ?? DEFAULT_RERUN_LIMIT;
  const startedAfter = body.startedAfter === undefined ? undefined : new Date(body.startedAfter).toISOString();
  const startedBefore = body.startedBefore === undefined ? undefined : new Date(body.startedBefore).toISOString();
  if (startedAfter !== undefined && startedBefore !== undefined && startedAfter >= startedBefore) {
    throw new ValidationError('startedAfter must be before startedBefore', [{ path: 'body.startedAfter', message: `${startedAfter} is not before ${startedBefore}` }]);
  }
  // A definition (and version) that does not exist is a 404, not an empty answer.
  await getDefinition(deps, body.definition, body.version);
  const at = instant(deps);
  const deadline = at.now + deps.settings.followUpBudgetMs;
  const rerun: string[] = [];
  const skipped: { id: string; reason: string }[] = [];
  let matched = 0;
  let examined = 0;
  let nextToken = body.nextToken;
  do {
    const page = await deps.processes.findByStatus({
      status: body.status ?? PROCESS_STATUS.failed,
      definition: body.definition,
      // The sort key is `<createdAt>#<id>`: at or after `startedAfter`, and before `startedBefore` (its own `#` sorts after it).
      ...(startedAfter === undefined ? {} : { createdFrom: startedAfter }),
      ...(startedBefore === undefined ? {} : { createdTo: startedBefore }),
      limit: Math.min(PAGE, limit - matched),
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    examined += Math.min(PAGE, limit - matched);
    nextToken = page.nextToken;
    const matches = page.items.filter((p) => matchesFailedTask(p, body.failedTask));
    matched += matches.length;
    const outcomes = new Map<string, string | undefined>();
    await budgetedPass(matches, { chunk: 1, lanes: RERUN_LANES, deadline: Number.POSITIVE_INFINITY, now: deps.now }, async ([process]) => {
      if (!process) return;
      try {
        await rerunProcess(deps, process.id, { ...(body.fromTasks ? { fromTasks: body.fromTasks } : {}), ...(body.version === undefined ? {} : { version: body.version }) }, {
          dryRun: body.dryRun === true,
          known: process,
          // Each rerun plans and passes within what is left of this call's budget; the sweeper finishes the passes.
          deadline,
        });
        outcomes.set(process.id, undefined);
      } catch (error) {
        if (!isTributaryError(error)) throw error;
        outcomes.set(process.id, `${error.code}: ${error.message}`);
      }
    });
    // In the index's order (newest first), whichever lane finished first.
    for (const { id } of matches) {
      const reason = outcomes.get(id);
      if (reason === undefined) rerun.push(id);
      else skipped.push({ id, reason });
    }
  } while (nextToken !== undefined && matched < limit && examined < limit * MAX_EXAMINED_PER_MATCH && deps.now() < deadline);
  return { matched, rerun, skipped, ...(nextToken === undefined ? {} : { nextToken }) };
}

function matchesFailedTask(process: ProcessItem, failedTask: string | undefined): boolean {
  return failedTask === undefined || process.error?.task === failedTask;
}
