import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { runCli, spawnCli, type CliResult } from '../support/cli.ts';

/** The `tributary` command, spawned as a user runs it, against the API on the test emulators. */

let api: TestApi;
let dir: string;
const run = Math.random().toString(36).slice(2, 8);
const LOAN_FILE = new URL('../../examples/loan-application/loan-application.yaml', import.meta.url).pathname;

const cli = (...args: string[]): Promise<CliResult> => runCli(['--url', api.url, ...args]);

beforeAll(async () => {
  api = await startTestApi();
  dir = await mkdtemp(join(tmpdir(), 'tributary-cli-'));
  await writeFile(join(dir, `manual-${run}.yaml`), 'description: one manual task\ntasks:\n  - name: Approve\n');
  await writeFile(join(dir, 'input.json'), '{"applicant":"Ada","amount":1000000}');
});
afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Each test spawns the CLI several times, and each spawn compiles it with tsx: slow on a loaded 2-core machine, so a generous bound. */
const CLI_TEST_TIMEOUT_MS = 180_000;

describe('tributary --help', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('documents every command', async () => {
    const commands = ['dev', 'validate', 'apply', 'defs', 'start', 'ps', 'get', 'watch', 'cancel', 'pause', 'resume', 'complete', 'fail', 'graph', 'console', 'openapi'];
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    const each = await Promise.all(commands.map((c) => runCli([c, '--help'])));
    each.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.stdout, commands[i]).toContain(`Usage: tributary ${commands[i]}`);
    });
  });
});

describe('tributary validate', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('accepts a valid file and reports every problem of an invalid one with line and column, exit code 1', async () => {
    const good = await runCli(['validate', LOAN_FILE]);
    expect(good).toMatchObject({ code: 0, stdout: expect.stringContaining('valid, 4 tasks') });
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'tasks:\n  - name: A\n    needs: [B]\n  - nme: C\n');
    const result = await runCli(['validate', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:3:13: tasks[0].needs[0]: task 'A' needs 'B'`);
    expect(result.stderr).toContain(`${bad}:4:5: tasks[1].nme: unknown key 'nme'; did you mean 'name'?`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('definitions and processes', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  const manual = `manual-${run}`;

  it('apply prints each version and whether it changed; defs lists and shows them', async () => {
    const file = join(dir, `${manual}.yaml`);
    expect((await cli('apply', file)).stdout).toBe(`${manual}: version 1 (created)\n`);
    expect((await cli('apply', file)).stdout).toBe(`${manual}: version 1 (unchanged)\n`);
    const loan = await cli('apply', LOAN_FILE, '--name', `loan-${run}`);
    expect(loan.stdout).toMatch(new RegExp(`^loan-${run}: version \\d+ \\((created|unchanged)\\)\\n$`));
    const list = await cli('defs');
    expect(list.stdout).toMatch(new RegExp(`^${manual}\\s+1\\s+one manual task$`, 'm'));
    const one = await cli('defs', `loan-${run}`, '--json');
    expect(JSON.parse(one.stdout)).toMatchObject({ name: `loan-${run}`, tasks: expect.arrayContaining([expect.objectContaining({ name: 'Decide' })]) });
  });

  it('start, get, ps, complete and start --watch: a process to COMPLETED, exit code 0', async () => {
    const started = await cli('start', manual, '--input', `@${join(dir, 'input.json')}`, '--idempotency-key', `k-${run}`, '--json');
    const process = JSON.parse(started.stdout) as { id: string; created: boolean; input: unknown };
    expect(process).toMatchObject({ created: true, input: { applicant: 'Ada', amount: 1000000 } });
    const again = await cli('start', manual, '--input', `@${join(dir, 'input.json')}`, '--idempotency-key', `k-${run}`);
    expect(again.stdout).toBe(`${process.id} (existing process for this idempotency key)\n`);
    // The same key for another request (here: no input) is refused, and says why.
    const reused = await cli('start', manual, '--idempotency-key', `k-${run}`);
    expect(reused.code).toBe(1);
    expect(reused.stderr).toContain('error: IdempotencyKeyReused (409)');

    const got = await cli('get', process.id);
    expect(got.stdout).toContain(`${process.id}  ${manual} v1  RUNNING`);
    expect(got.stdout).toMatch(/^TASK\s+STATUS\s+ATTEMPT\s+WORKER\s+DURATION\s+ERROR$/m);
    expect(got.stdout).toMatch(/^Approve\s+SCHEDULED\s+1\s/m);
    const ps = await cli('ps', '--definition', manual, '--json');
    expect((JSON.parse(ps.stdout) as { items: { id: string }[] }).items.map((p) => p.id)).toContain(process.id);
    expect((await cli('ps', '--definition', manual)).stdout).toMatch(new RegExp(`^${process.id}\\s+${manual}\\s+1\\s+RUNNING`, 'm'));

    const second = await cli('start', manual);
    const id = second.stdout.trim();
    const watching = runCli(['--url', api.url, 'watch', id, '--interval', '200']);
    const done = await cli('complete', process.id, 'Approve', '--output', '{"approved":true}');
    expect(done.stdout).toBe('Approve: COMPLETED\n');
    expect(JSON.parse((await cli('get', process.id, '--json')).stdout)).toMatchObject({ status: 'COMPLETED', tasks: [{ output: { approved: true } }] });

    await cli('complete', id, 'Approve');
    const watched = await watching;
    expect(watched.code).toBe(0);
    expect(watched.stdout).toContain('COMPLETED');
    expect(watched.stdout).toContain('(1/1)');
  });

  it('watch exits 1 for FAILED and 2 for CANCELLED; fail and cancel print the outcome', async () => {
    const failing = (await cli('start', manual)).stdout.trim();
    const cancelled = (await cli('start', manual)).stdout.trim();
    const watchFail = spawnCli(['--url', api.url, 'start', manual, '--watch', '--json']);
    // Listen for the exit now: the watcher may end before a later `once` would be attached.
    const watchFailExit = once(watchFail, 'exit') as Promise<[number]>;
    let watchedOut = '';
    watchFail.stdout?.on('data', (c: Buffer) => (watchedOut += c.toString('utf8')));
    const watchCancel = runCli(['--url', api.url, 'watch', cancelled, '--interval', '200']);
    const watchFailed = runCli(['--url', api.url, 'watch', failing, '--interval', '200']);

    expect((await cli('fail', failing, 'Approve', '--message', 'rejected by a person', '--code', 'Rejected', '--no-retry')).stdout).toBe('Approve: FAILED\n');
    expect((await cli('cancel', cancelled)).stdout).toBe(`${cancelled}: CANCELLED\n`);
    expect((await watchFailed).code).toBe(1);
    expect((await watchCancel).code).toBe(2);

    // start --watch: the id comes first (as JSON), then the final process.
    const bound = Date.now() + 120_000;
    while (!watchedOut.includes('"created"')) {
      if (Date.now() > bound) throw new Error(`start --watch printed no process: ${watchedOut}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const startedId = (JSON.parse(watchedOut.slice(0, watchedOut.indexOf('\n}') + 2)) as { id: string }).id;
    await cli('cancel', startedId);
    const [code] = await watchFailExit;
    expect(code).toBe(2);
    expect((await cli('get', failing)).stdout).toMatch(/^Approve\s+FAILED\s+1\s+\S+\s+Rejected: rejected by a person$/m);
  });

  it('history lists a process\'s events in time order; cancel --reason becomes its error message', async () => {
    const id = (await cli('start', manual)).stdout.trim();
    expect((await cli('fail', id, 'Approve', '--message', 'not yet')).stdout).toMatch(/^Approve: SCHEDULED \(next attempt not before \S+\)\n$/);
    expect((await cli('cancel', id, '--reason', 'no longer needed')).stdout).toBe(`${id}: CANCELLED\n`);
    const events = JSON.parse((await cli('history', id, '--json')).stdout) as { type: string; task?: string; error?: { message?: string } }[];
    // The process ends first, then its unfinished task is cancelled (both may fall in the same millisecond).
    expect(events.map((e) => e.type).slice(0, 4)).toEqual(['ProcessStarted', 'TaskScheduled', 'TaskFailed', 'TaskScheduled']);
    expect(events.map((e) => e.type).slice(4).sort()).toEqual(['ProcessCancelled', 'TaskCancelled']);
    expect(events.find((e) => e.type === 'TaskFailed')?.error?.message).toBe('not yet');
    const text = (await cli('history', id)).stdout;
    expect(text).toMatch(/^\S+\s+1\s+ProcessCancelled\s+/m);
    expect(JSON.parse((await cli('get', id, '--json')).stdout)).toMatchObject({ status: 'CANCELLED', error: { code: 'Cancelled', message: 'no longer needed' } });
    // The operator reruns it: the cancelled tasks run again as run 2.
    const rerun = (await cli('rerun', id)).stdout;
    expect(rerun).toMatch(new RegExp(`^${id}: run 2 on version \\d+, RUNNING\n  runs again: `));
    expect(JSON.parse((await cli('get', id, '--json')).stdout)).toMatchObject({ status: 'RUNNING', runs: 2 });
  });

  it('get shows the first page of a process of more than 100 tasks and says so; get --all lists every task', async () => {
    const wide = `wide-${run}`;
    const names = Array.from({ length: 120 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    await writeFile(join(dir, `${wide}.yaml`), `tasks:\n${names.map((n) => `  - name: ${n}\n`).join('')}`);
    await cli('apply', join(dir, `${wide}.yaml`));
    const id = (await cli('start', wide)).stdout.trim();
    const first = (await cli('get', id)).stdout;
    expect(first).toContain(`… the first 50 of 120 tasks: \`tributary get ${id} --all\` lists every one`);
    const all = JSON.parse((await cli('get', id, '--all', '--json')).stdout) as { tasks: { name: string }[]; tasksNextToken?: string };
    expect(all.tasks.map((t) => t.name).sort()).toEqual(names);
    expect(all.tasksNextToken).toBeUndefined();
    await cli('cancel', id);
  });

  it('pause and resume print the process status; the pause reason is in the history', async () => {
    const id = (await cli('start', manual)).stdout.trim();
    expect((await cli('pause', id, '--reason', 'maintenance')).stdout).toBe(`${id}: PAUSED\n`);
    expect((await cli('resume', id)).stdout).toBe(`${id}: RUNNING\n`);
    const events = JSON.parse((await cli('history', id, '--json')).stdout) as { type: string; details?: { reason?: string } }[];
    expect(events.find((e) => e.type === 'ProcessPaused')?.details?.reason).toBe('maintenance');
    expect(events.some((e) => e.type === 'ProcessResumed')).toBe(true);
    await cli('cancel', id);
  });

  it('graph draws a definition and a process, as text, mermaid and dot', async () => {
    const text = await cli('graph', `loan-${run}`);
    expect(text.stdout).toContain('level 0\n  Open Loan Application\n');
    expect(text.stdout).toMatch(/level 2\n {2}Decide {2}← Review Credit, Check Identity/);
    const mermaid = await cli('graph', `loan-${run}`, '--format', 'mermaid');
    expect(mermaid.stdout).toMatch(/^flowchart TD\n/);
    expect(mermaid.stdout).toContain('t0 --> t1');
    const id = (await cli('start', `loan-${run}`)).stdout.trim();
    const dot = await cli('graph', id, '--format', 'dot');
    expect(dot.stdout).toMatch(/^digraph /);
    expect(dot.stdout).toContain('label="Open Loan Application [SCHEDULED]"');
    expect(dot.stdout).toContain('label="Decide [PENDING]"');
    const processText = await cli('graph', id);
    expect(processText.stdout).toContain('… Open Loan Application [SCHEDULED]');
  });
});

describe('errors and targets', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("prints the API's code and message, never a stack, with exit code 1", async () => {
    const missing = await cli('get', 'no-such-process');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("error: ProcessNotFound (404): process 'no-such-process' does not exist\n");
    const bad = await cli('ps', '--limit', '0');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--limit must be an integer from 1 to 100');
    const down = await runCli(['--url', 'http://127.0.0.1:9', 'ps']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('error: cannot reach the API');
    expect(down.stderr).toContain('npx tributary dev');
    expect(`${missing.stderr}${bad.stderr}${down.stderr}`).not.toMatch(/\n\s+at /);
  });

  it('talks to the local stack from .tributary/local.json by default, and says so when there is none', async () => {
    const project = join(dir, 'project');
    await mkdir(join(project, '.tributary'), { recursive: true });
    await mkdir(join(project, 'sub'), { recursive: true });
    await writeFile(join(project, '.tributary', 'local.json'), JSON.stringify({ apiUrl: api.url }));
    const found = await runCli(['defs', '--json'], { cwd: join(project, 'sub') });
    expect(found.code).toBe(0);
    expect(Array.isArray(JSON.parse(found.stdout))).toBe(true);
    const none = await runCli(['ps'], { cwd: tmpdir() });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no local stack found');
  });

  it('openapi prints the committed document', async () => {
    const printed = await runCli(['openapi']);
    expect(printed.stdout).toBe(await readFile(new URL('../../openapi.json', import.meta.url), 'utf8'));
  });
});
