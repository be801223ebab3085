import { describe, expect, it } from 'vitest';
import { startFromQueue, type RejectedStarts } from '#app/start-from-queue.ts';
import { startQueueHandler } from '../../functions/start-queue.ts';
import { memoryEngine, putYaml } from '../support/engines.ts';

/** The start queue's messages on the in-memory engine: exactly once per idempotency key, refused ones rejected with a reason. */

function collecting(): RejectedStarts & { readonly rejected: { body: string; reason: string }[] } {
  const rejected: { body: string; reason: string }[] = [];
  return { rejected, reject: async (r) => void rejected.push(r) };
}

describe('start-queue messages', () => {
  it('a duplicated message with the same idempotency key starts one process', async () => {
    const engine = await memoryEngine();
    await putYaml(engine.deps, 'ingest', 'tasks:\n  - name: Load\n');
    const dlq = collecting();
    const body = JSON.stringify({ definition: 'ingest', input: { key: 'a.csv' }, idempotencyKey: 's3:bucket/a.csv' });
    const first = await startFromQueue(engine.deps, dlq, body);
    const second = await startFromQueue(engine.deps, dlq, body);
    expect(first).toMatchObject({ kind: 'started', created: true });
    expect(second).toEqual({ ...first, created: false });
    expect((await engine.deps.processes.list({ limit: 10 })).items).toHaveLength(1);
    expect(dlq.rejected).toEqual([]);
  });

  it('rejects what can never start, with the reason, and starts nothing', async () => {
    const engine = await memoryEngine();
    await putYaml(engine.deps, 'typed', 'inputSchema:\n  type: object\n  required: [key]\ntasks:\n  - name: Load\n');
    const dlq = collecting();
    const bodies = ['', 'not json', '[1]', JSON.stringify({ definition: 'missing' }), JSON.stringify({ definition: 'typed', input: {} }), JSON.stringify({ definition: 'typed', input: { key: 1 }, idempotencyKey: 'k' })];
    for (const body of bodies) await startFromQueue(engine.deps, dlq, body);
    // The same key with another input is refused for good too.
    await startFromQueue(engine.deps, dlq, JSON.stringify({ definition: 'typed', input: { key: 2 }, idempotencyKey: 'k' }));
    expect(dlq.rejected.map((r) => r.reason.split(':')[0])).toEqual(['BadJson', 'BadJson', 'ValidationError', 'DefinitionNotFound', 'ValidationError', 'IdempotencyKeyReused']);
    expect((await engine.deps.processes.list({ limit: 10 })).items).toHaveLength(1);
  });

  it('the handler reports a message that failed for a passing cause, so SQS delivers it again', async () => {
    const engine = await memoryEngine();
    await putYaml(engine.deps, 'ingest', 'tasks:\n  - name: Load\n');
    const broken = { ...engine.deps, definitions: { ...engine.deps.definitions, getHead: async () => Promise.reject(new Error('throttled')) } };
    const handler = startQueueHandler(() => broken, () => collecting());
    const out = await handler({ Records: [{ messageId: 'm-1', body: JSON.stringify({ definition: 'ingest' }) }] } as never);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
  });
});
