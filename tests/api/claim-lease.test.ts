import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { responsesNotInSpec, type RecordedExchange } from '../support/openapi-responses.ts';

/**
 * `leaseSeconds` on POST .../claim, POST /tasks/claim and POST .../heartbeat
 * (issue 19, part 1), through the real handlers on DynamoDB Local. The lease's
 * length is read against the claim's own time (its TaskClaimed event), so no
 * assertion depends on the clock.
 */
let api: TestApi;
const run = Math.random().toString(36).slice(2, 8);
const DEF = `lease-${run}`;
const exchanges: RecordedExchange[] = [];

type ErrorBody = { error: { code: string; message: string; details?: { path: string; message: string }[] } };
type ClaimBody = { leaseToken: string; leaseExpiresAt: string; attempt: number };

beforeAll(async () => {
  api = await startTestApi({ onResponse: (exchange) => exchanges.push(exchange) });
  await api.request('PUT', `/definitions/${DEF}`, { tasks: [{ name: 'A', timeoutSeconds: 300 }, { name: 'B', timeoutSeconds: 600 }] });
});
afterAll(async () => {
  await api.close();
});

async function start(): Promise<string> {
  const started = await api.request<{ id: string }>('POST', '/processes', { definition: DEF });
  expect(started.status).toBe(201);
  return started.body.id;
}

/** When each task was claimed, from the history (the claim's own clock reading). */
async function claimedAt(id: string): Promise<Map<string, number>> {
  const history = await api.request<{ items: { type: string; task?: string; at: string }[] }>('GET', `/processes/${id}/history`);
  return new Map(history.body.items.filter((e) => e.type === 'TaskClaimed').map((e) => [e.task ?? '', Date.parse(e.at)]));
}

const claim = (id: string, task: string, body: unknown) => api.request<ClaimBody & ErrorBody>('POST', `/processes/${id}/tasks/${task}/claim`, body);

describe('leaseSeconds on the claim routes', () => {
  it('leases a single claim for leaseSeconds, not the task timeout; a heartbeat extends it by as much', async () => {
    const id = await start();
    const res = await claim(id, 'A', { workerId: 'w1', leaseSeconds: 30 });
    expect(res.status).toBe(200);
    const at = (await claimedAt(id)).get('A') ?? 0;
    expect(Date.parse(res.body.leaseExpiresAt) - at).toBe(30_000);
    const before = Date.now();
    const beat = await api.request<{ leaseExpiresAt: string }>('POST', `/processes/${id}/tasks/A/heartbeat`, { leaseToken: res.body.leaseToken });
    expect(beat.status).toBe(200);
    // 30 s from the heartbeat's own now, which lies between the two readings around the call.
    expect(Date.parse(beat.body.leaseExpiresAt)).toBeGreaterThanOrEqual(before + 30_000);
    expect(Date.parse(beat.body.leaseExpiresAt)).toBeLessThanOrEqual(Date.now() + 30_000);
    const longer = await api.request<{ leaseExpiresAt: string }>('POST', `/processes/${id}/tasks/A/heartbeat`, { leaseToken: res.body.leaseToken, leaseSeconds: 900 });
    expect(Date.parse(longer.body.leaseExpiresAt)).toBeGreaterThanOrEqual(before + 900_000);
  });

  it('leases each task of POST /tasks/claim for the one leaseSeconds, whatever their timeouts; without it, for each timeout', async () => {
    const id = await start();
    const res = await api.request<{ results: ClaimBody[] }>('POST', '/tasks/claim', { workerId: 'w1', leaseSeconds: 45, tasks: [{ processId: id, task: 'A' }, { processId: id, task: 'B' }] });
    expect(res.status).toBe(200);
    const at = await claimedAt(id);
    expect(res.body.results.map((r, i) => Date.parse(r.leaseExpiresAt) - (at.get(['A', 'B'][i] ?? '') ?? 0))).toEqual([45_000, 45_000]);

    const plain = await start();
    const defaults = await api.request<{ results: ClaimBody[] }>('POST', '/tasks/claim', { workerId: 'w1', tasks: [{ processId: plain, task: 'A' }, { processId: plain, task: 'B' }] });
    const plainAt = await claimedAt(plain);
    expect(defaults.body.results.map((r, i) => Date.parse(r.leaseExpiresAt) - (plainAt.get(['A', 'B'][i] ?? '') ?? 0))).toEqual([300_000, 600_000]);
  });

  it('answers 400 naming leaseSeconds for 0, 43201, 1.5 or "x", on either route and the heartbeat, and claims nothing', async () => {
    const id = await start();
    const message = 'leaseSeconds must be a whole number of seconds from 1 to 43200';
    for (const leaseSeconds of [0, 43_201, 1.5, 'x']) {
      const single = await claim(id, 'A', { workerId: 'w1', leaseSeconds });
      expect(single.status, String(leaseSeconds)).toBe(400);
      expect(single.body.error.details).toEqual([{ path: 'body.leaseSeconds', message }]);
      const batch = await api.request<ErrorBody>('POST', '/tasks/claim', { workerId: 'w1', leaseSeconds, tasks: [{ processId: id, task: 'A' }] });
      expect(batch.status, String(leaseSeconds)).toBe(400);
      expect(batch.body.error.details).toEqual([{ path: 'body.leaseSeconds', message }]);
    }
    const active = await api.request<{ items: { name: string; status: string }[] }>('GET', `/processes/${id}/tasks/active`);
    expect(active.body.items.map((t) => t.status)).toEqual(['SCHEDULED', 'SCHEDULED']);
    const held = await claim(id, 'A', { workerId: 'w1', leaseSeconds: 43_200 });
    expect(held.status).toBe(200);
    const beat = await api.request<ErrorBody>('POST', `/processes/${id}/tasks/A/heartbeat`, { leaseToken: held.body.leaseToken, leaseSeconds: 43_201 });
    expect(beat.status).toBe(400);
    expect(beat.body.error.details).toEqual([{ path: 'body.leaseSeconds', message }]);
  });

  it('answers only what the OpenAPI document declares', async () => {
    expect(await responsesNotInSpec(exchanges)).toEqual([]);
  });
});
