import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TributaryClient, Worker, silentLogger, type TaskHandler } from '../../client/index.ts';
import { localClientConfig } from '../../local/aws-env.ts';
import { findStablePort } from '../../local/emulators.ts';
import { alive as isAlive } from '../../local/stale-dynamodb.ts';
import { spawnCli } from '../support/cli.ts';

/**
 * `tributary dev` on persisted data, killed with SIGKILL while 20 processes
 * run, then started again: every process completes and every task runs once.
 * The workers live in this test process and simply ride out the outage.
 */

let home: string;
let env: NodeJS.ProcessEnv;
let stack: ChildProcess | undefined;
let output = '';

async function startStack(): Promise<{ apiUrl: string; sqsEndpoint: string; queues: Record<string, string> }> {
  stack = spawnCli(['dev'], { env });
  // This start's output only: a killed stack's banner and local.json are still there.
  output = '';
  stack.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  stack.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const stateFile = join(home, 'local.json');
  // The banner is printed once the stack serves; a generous bound, the JVM is slow on a loaded machine.
  const deadline = Date.now() + 90_000;
  while (!output.includes('Press Ctrl-C')) {
    if (stack.exitCode !== null) throw new Error(`tributary dev exited with ${stack.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`tributary dev did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return JSON.parse(await readFile(stateFile, 'utf8')) as { apiUrl: string; sqsEndpoint: string; queues: Record<string, string> };
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tributary-restart-'));
  // Below the ephemeral range: the restart reuses them, and an outgoing connection could be given an ephemeral one meanwhile.
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await findStablePort());
  const [api, dynamodb, sqs, s3] = [...ports];
  env = { TRIBUTARY_HOME: home, PORT: String(api), DYNAMODB_PORT: String(dynamodb), SQS_PORT: String(sqs), S3_PORT: String(s3), SWEEP_INTERVAL_MS: '500' };
});
afterAll(async () => {
  if (stack && stack.exitCode === null) {
    stack.kill('SIGTERM');
    await once(stack, 'exit');
  }
  await rm(home, { recursive: true, force: true });
});

describe('local state across a restart', () => {
  it('survives SIGKILL in the middle of 20 running processes: all complete, each task exactly once', async () => {
    const first = await startStack();
    // Many retries: a worker's complete may land while the stack is down.
    const client = new TributaryClient({ baseUrl: first.apiUrl, retries: 200, backoff: { baseMs: 100, maxMs: 500 } });
    await client.putDefinition(
      'restart',
      'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n  - name: C\n    needs: [A]\n  - name: D\n    needs: [B, C]\n',
    );
    const ids = await Promise.all(Array.from({ length: 20 }, () => client.startProcess({ definition: 'restart' }).then((r) => r.process.id)));

    const runs = new Map<string, number>();
    const handler: TaskHandler = async ({ processId, task }) => {
      const key = `${processId}/${task}`;
      runs.set(key, (runs.get(key) ?? 0) + 1);
      // Work that takes a moment, so that some tasks are mid-run when the stack dies.
      await new Promise((r) => setTimeout(r, 30));
      return { task };
    };
    const sqs = new SQSClient({ ...localClientConfig(first.sqsEndpoint, 'us-east-1'), maxAttempts: 1 });
    const workers = [0, 1].map(
      (i) => new Worker({ client, sqs, queueUrl: first.queues.default!, workerId: `restart-${i}`, handler, concurrency: 4, waitTimeSeconds: 1, logger: silentLogger }),
    );
    const working = workers.map((w) => w.start());
    try {
      // Kill once a fair share of the 80 tasks has run, and well before all have.
      const bound = Date.now() + 90_000;
      while (runs.size < 20) {
        if (Date.now() > bound) throw new Error(`only ${runs.size} tasks ran before the kill`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const killedAt = runs.size;
      const [firstJvm] = (await readFile(join(home, 'data', 'dynamodb-local.pid'), 'utf8')).trim().split(' ').map(Number);
      stack!.kill('SIGKILL');
      await once(stack!, 'exit');
      expect(killedAt).toBeLessThan(80);

      const second = await startStack();
      // Same endpoints: the workers reconnect without being told anything.
      expect(second.apiUrl).toBe(first.apiUrl);
      expect(second.queues).toEqual(first.queues);
      // The killed stack's DynamoDB Local is gone (it exited with its parent, or the new stack stopped it).
      expect(isAlive(firstJvm!)).toBe(false);
      expect(output).toContain(`stopped DynamoDB Local (pid ${firstJvm}) left by a stack that was killed`);

      const deadline = Date.now() + 120_000;
      for (;;) {
        const views = await Promise.all(ids.map((id) => client.getProcess(id)));
        if (views.every((v) => v.status === 'COMPLETED')) {
          for (const v of views) expect(v.tasks.map((t) => t.attempt)).toEqual([1, 1, 1, 1]);
          break;
        }
        if (Date.now() > deadline) throw new Error(`not all completed: ${JSON.stringify(views.map((v) => [v.id, v.status, v.tasks.map((t) => t.status)]))}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(working);
      sqs.destroy();
    }
    expect(runs.size).toBe(80);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);

    // A clean stop removes local.json, so nothing points at dead endpoints.
    stack!.kill('SIGINT');
    await once(stack!, 'exit');
    expect(existsSync(join(home, 'local.json'))).toBe(false);
    expect(existsSync(join(home, 'data'))).toBe(true);
  }, 400_000);
});
