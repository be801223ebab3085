import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { runCli, type CliResult } from '../support/cli.ts';

/** `tributary schedules …`, spawned as a user runs it, against the API on the test emulators. */

let api: TestApi;
const run = Math.random().toString(36).slice(2, 8);
const definition = `cli-sched-${run}`;
const cli = (...args: string[]): Promise<CliResult> => runCli(['--url', api.url, 'schedules', ...args]);

beforeAll(async () => {
  api = await startTestApi();
  expect((await api.request('PUT', `/definitions/${definition}`, { tasks: [{ name: 'Work' }] })).status).toBe(201);
});
afterAll(() => api?.close());

describe('tributary schedules', { timeout: 300_000 }, () => {
  it('put, list, get, trigger, backfill, pause, resume and delete; a bad spec exits 1 naming the field', async () => {
    const name = `nightly-${run}`;
    const put = await cli('put', name, '--definition', definition, '--cron', '0 2 * * *', '--timezone', 'America/New_York', '--overlap', 'allowAll', '--input', '{"day":"today"}');
    expect(put.stderr).toBe('');
    expect(put.stdout).toMatch(new RegExp(`^${name}: generation 1 \\(created\\), active; next: \\d{4}-`));
    const list = await cli('list');
    expect(list.stdout).toMatch(new RegExp(`${name}\\s+active\\s+cron '0 2 \\* \\* \\*' America/New_York\\s+${definition}\\s+allowAll`));
    const trigger = await cli('trigger', name);
    expect(trigger.stdout).toMatch(new RegExp(`^${name}: started [0-9a-f-]{36} for `));
    const backfill = await cli('backfill', name, '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-04T00:00:00Z');
    expect(backfill.stdout).toBe(`${name}: backfilled, 3 fire(s)\n`);
    const get = await cli('get', name, '--json');
    const view = JSON.parse(get.stdout) as { fires: { outcome: string; source: string }[] };
    expect(view.fires.map((f) => f.source).sort()).toEqual(['backfill', 'backfill', 'backfill', 'trigger']);
    expect((await cli('pause', name)).stdout).toBe(`${name}: paused\n`);
    expect((await cli('resume', name)).stdout).toMatch(new RegExp(`^${name}: active, next \\d{4}-`));
    expect((await cli('delete', name)).stdout).toBe(`${name}: deleted\n`);
    const bad = await cli('put', `bad-${run}`, '--definition', definition, '--every', '30s');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('InvalidSchedule (400)');
    expect(bad.stderr).toContain('body.every');
  });
});
