import { describe, expect, it } from 'vitest';
import { claimArgs, iso, schedule, T0, TIMEOUT_SECONDS } from './fixtures.ts';
import { scenariosOnBothAdapters } from './adapters.ts';

/**
 * A claim's own lease length (`leaseSeconds`, issue 19 part 1) on both
 * adapters: the claim writes `leaseExpiresAt = now + leaseMs` and records
 * `leaseMs`; a heartbeat extends by the recorded length, else by the task's
 * timeout (`if_not_exists(leaseMs, timeoutMs)`), or by a new length it names;
 * a limited task's concurrency slot keeps the task's expiry. Each scenario's
 * answers must be the same on DynamoDB Local and in memory.
 */
const TIMEOUT_MS = TIMEOUT_SECONDS * 1000;

const answers = scenariosOnBothAdapters('claim-lease', (name) => `claim lease length on the ${name} adapter`, (scenario, name) => {
  scenario('a claim with leaseMs runs for it, and heartbeats extend by it; a named length replaces it', async ({ stores: { tasks } }) => {
    const ref = { processId: `lease-${name}`, task: 'A' };
    await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
    const claimed = await tasks.claim({ ...claimArgs(ref, 'lease-1'), leaseMs: 30_000 });
    const beat = await tasks.heartbeat({ ...ref, leaseToken: 'lease-1', now: T0 + 20_000 });
    const renamed = await tasks.heartbeat({ ...ref, leaseToken: 'lease-1', now: T0 + 40_000, leaseMs: 90_000 });
    const after = await tasks.heartbeat({ ...ref, leaseToken: 'lease-1', now: T0 + 100_000 });
    const leases = [claimed, beat, renamed, after].map((w) => (w.ok ? [w.item.leaseExpiresAt, w.item.leaseMs] : 'lost'));
    expect(leases).toEqual([
      [T0 + 30_000, 30_000],
      [T0 + 50_000, 30_000],
      [T0 + 130_000, 90_000],
      [T0 + 190_000, 90_000],
    ]);
    return leases;
  });

  scenario('a claim without leaseMs runs for the timeout and drops a length an earlier claim recorded', async ({ stores: { tasks } }) => {
    const ref = { processId: `default-${name}`, task: 'A' };
    await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
    await tasks.claim({ ...claimArgs(ref, 'lease-1'), leaseMs: 30_000 });
    await tasks.release({ ...ref, leaseToken: 'lease-1', now: T0 + 1_000, iso: iso(T0 + 1_000), sweepAt: T0 + 60_000 });
    const claimed = await tasks.claim(claimArgs(ref, 'lease-2', T0 + 2_000));
    const beat = await tasks.heartbeat({ ...ref, leaseToken: 'lease-2', now: T0 + 10_000 });
    const leases = [claimed, beat].map((w) => (w.ok ? [w.item.leaseExpiresAt, w.item.leaseMs ?? 'none'] : 'lost'));
    expect(leases).toEqual([
      [T0 + 2_000 + TIMEOUT_MS, 'none'],
      [T0 + 10_000 + TIMEOUT_MS, 'none'],
    ]);
    return leases;
  });

  scenario("a limited task's concurrency slot takes and renews the claim's lease length: the two expiries stay equal", async ({ stores }) => {
    const ref = { processId: `slot-${name}`, task: 'A' };
    await stores.tasks.scheduleNew({ schedule: schedule(ref.processId, 'A', { limited: true }) });
    const slotClaim = { ...claimArgs(ref, 'lease-1'), definition: 'contract', leaseMs: 30_000, concurrency: { n: 0, key: 'k', limit: 1, timeoutMs: TIMEOUT_MS } };
    const outcome = await stores.taskLimits.claimWithSlots(slotClaim);
    if (!outcome.ok) throw new Error(`claim lost on ${outcome.lost}`);
    const token = outcome.item.leaseToken ?? '';
    const slot = async () => (await stores.taskLimits.slotsOf({ definition: 'contract', task: 'A', kind: 'concurrency', key: 'k' }))[0];
    const seen: unknown[] = [[outcome.item.leaseExpiresAt, (await slot())?.leaseExpiresAt]];
    for (const [now, leaseMs] of [[T0 + 20_000, undefined], [T0 + 40_000, 60_000], [T0 + 70_000, undefined]] as const) {
      const beat = await stores.tasks.heartbeat({ ...ref, leaseToken: token, now, ...(leaseMs === undefined ? {} : { leaseMs }) });
      seen.push([beat.ok ? beat.item.leaseExpiresAt : 'lost', (await slot())?.leaseExpiresAt]);
    }
    expect(seen).toEqual([
      [T0 + 30_000, T0 + 30_000],
      [T0 + 50_000, T0 + 50_000],
      [T0 + 100_000, T0 + 100_000],
      [T0 + 130_000, T0 + 130_000],
    ]);
    return seen;
  });
});

describe('the two adapters', () => {
  it('answered every claim lease scenario alike', () => {
    expect(answers.size).toBe(3);
    for (const [title, byAdapter] of answers) expect(byAdapter.get('memory'), title).toEqual(byAdapter.get('dynamodb'));
  });
});
