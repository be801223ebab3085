import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt } from '../../console/build-console.ts';
import { startLocalStack, type LocalStack } from '../../local/local-stack.ts';
import { silentLogger } from '../../local/log.ts';
import { launchChromium, screenshot, seriousAxeFindings, VIEWPORTS } from '../support/browser.ts';
import { testEmulators } from '../support/clients.ts';

/**
 * The console in Chromium, on a local stack of its own (the API on a free
 * port, serving /console, over the shared emulators): start a process from
 * the Definitions page, watch it run, release, fail a manual task and see it
 * FAILED, rerun from the graph, pause, resume, cancel; axe on each page at both
 * viewports; the 2,000-task page's time to interactive, printed. Every wait is
 * for a condition, with a generous bound.
 */
const WAIT = { timeout: 20_000 };
const ORDER = 'console-order';
const WIDE = 'console-wide';
const WIDTH = 2000;

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.apiUrl}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as T };
}

async function expectAccessible(p: Page, what: string): Promise<void> {
  const findings = await seriousAxeFindings(p);
  expect(findings, `${what}: ${JSON.stringify(findings, null, 1)}`).toEqual([]);
}

async function confirm(p: Page, label: string): Promise<void> {
  await p.getByRole('button', { name: label, exact: true }).click();
  await p.locator('dialog.confirm').waitFor({ state: 'detached', ...WAIT });
}

beforeAll(async () => {
  const { dynamodbEndpoint, sqsEndpoint, region } = testEmulators();
  const base = `tributary-console-${randomBytes(4).toString('hex')}`;
  stack = await startLocalStack({
    port: 0,
    region,
    env: { AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint, AWS_ENDPOINT_URL_SQS: sqsEndpoint },
    tableName: base,
    queuePrefix: `${base}-`,
    stateFile: null,
    sweepIntervalMs: 1000,
    logger: silentLogger,
    consoleDir: await ensureConsoleBuilt(),
  });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: VIEWPORTS.desktop });
  page = await context.newPage();
  const order = {
    description: 'An order: checked by a worker, reviewed by a person, then shipped',
    inputSchema: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string', minLength: 1 }, amount: { type: 'number', minimum: 0 } } },
    tasks: [{ name: 'check' }, { name: 'review', needs: ['check'] }, { name: 'ship', needs: ['review'] }],
  };
  expect((await call('PUT', `/definitions/${ORDER}`, order)).status).toBe(201);
  const wide = { tasks: [{ name: 'split' }, ...Array.from({ length: WIDTH }, (_, i) => ({ name: `item-${String(i).padStart(4, '0')}`, needs: ['split'] }))] };
  expect((await call('PUT', `/definitions/${WIDE}`, wide)).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the web console in Chromium', () => {
  let id = '';
  let workerLease = '';

  it('serves the console at /console on the API origin, and lays out graphs at /console/layout', async () => {
    const res = await fetch(`${stack.apiUrl}/console/`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const layout = await call<{ nodes: Record<string, { x: number }> }>('POST', '/console/layout', { nodes: [{ id: 'a', width: 10, height: 10 }, { id: 'b', width: 10, height: 10 }], edges: [{ from: 'a', to: 'b' }] });
    expect(layout.status).toBe(200);
    expect(layout.body.nodes.b!.x).toBeGreaterThan(layout.body.nodes.a!.x);
    const bad = await call<{ error: { code: string } }>('POST', '/console/layout', { nodes: 'no' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ValidationError']);
    // Only the built files: no way out of the folder.
    expect((await fetch(`${stack.apiUrl}/console/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${stack.apiUrl}/console/app.js`, { method: 'DELETE' })).status).toBe(405);
  });

  it('starts a process from the Definitions page, refusing input that does not match the inputSchema', async () => {
    // The read handlers are imported (through tsx) on their first call: warm them, so the figure is the console's.
    expect((await call('GET', '/definitions')).status).toBe(200);
    const started = Date.now();
    await page.goto(`${stack.apiUrl}/console/#/definitions`);
    await page.getByRole('navigation', { name: 'Main' }).waitFor(WAIT);
    const shell = Date.now() - started;
    await page.locator(`[data-definition="${ORDER}"]`).waitFor(WAIT);
    console.log(`console: first load of the Definitions page: shell in ${shell} ms, its data shown in ${Date.now() - started} ms`);
    await expectAccessible(page, 'definitions');
    await screenshot(page, 'definitions');
    await page.getByRole('link', { name: ORDER }).click();
    await page.locator('[data-task="review"]').waitFor(WAIT);
    const input = page.getByLabel('Input (JSON)');
    await input.fill('{"amount": -1}');
    await page.getByText("must have required property 'orderId'").waitFor(WAIT);
    expect(await page.getByRole('button', { name: 'Start', exact: true }).isDisabled()).toBe(true);
    await input.fill('{"orderId": "A-1", "amount": 12}');
    await page.getByText('Valid JSON').waitFor(WAIT);
    await expectAccessible(page, 'definition');
    await screenshot(page, 'definition');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.waitForURL(/#\/processes\/.+/, WAIT);
    id = decodeURIComponent(page.url().split('#/processes/')[1]!);
    await page.locator('[data-task="check"][data-status="SCHEDULED"]').waitFor(WAIT);
  });

  it('watches it run: a claim shows RUNNING, a completion COMPLETED, without a reload', async () => {
    const lease = await call<{ leaseToken: string }>('POST', `/processes/${id}/tasks/check/claim`, { workerId: 'test-worker' });
    expect(lease.status).toBe(200);
    await page.locator('[data-task="check"][data-status="RUNNING"]').waitFor(WAIT);
    expect((await call('POST', `/processes/${id}/tasks/check/complete`, { leaseToken: lease.body.leaseToken, output: { checked: true } })).status).toBe(200);
    await page.locator('[data-task="check"][data-status="COMPLETED"]').waitFor(WAIT);
    await page.locator('[data-task="review"][data-status="SCHEDULED"]').waitFor(WAIT);
    await page.locator('[data-event="TaskCompleted"]').first().waitFor(WAIT);
  });

  it('pauses and resumes the process', async () => {
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByLabel('Reason (optional)').fill('checking the stock');
    await confirm(page, 'Confirm pause');
    await page.locator('[data-process-status="PAUSED"]').waitFor(WAIT);
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await confirm(page, 'Confirm resume');
    await page.locator('[data-process-status="RUNNING"]').waitFor(WAIT);
  });

  it("releases a RUNNING task whose worker is dead: the worker's lease is fenced", async () => {
    const lease = await call<{ leaseToken: string }>('POST', `/processes/${id}/tasks/review/claim`, { workerId: 'dead-worker' });
    workerLease = lease.body.leaseToken;
    await page.locator('[data-task="review"][data-status="RUNNING"]').click(WAIT);
    await page.locator('[data-drawer-task="review"]').waitFor(WAIT);
    await page.getByRole('button', { name: 'Release', exact: true }).click();
    await confirm(page, 'Confirm release');
    await page.locator('[data-task="review"][data-status="SCHEDULED"]').waitFor(WAIT);
    const late = await call<{ error: { code: string } }>('POST', `/processes/${id}/tasks/review/heartbeat`, { leaseToken: workerLease });
    expect([late.status, late.body.error.code]).toEqual([409, 'LeaseMismatch']);
  });

  it('fails the manual task from its drawer, with a validating JSON editor, and shows the process FAILED', async () => {
    await page.locator('[data-task="review"]').click();
    await page.locator('[data-drawer-task="review"]').waitFor(WAIT);
    await expectAccessible(page, 'process with the drawer open');
    await screenshot(page, 'task-drawer');
    await page.getByRole('button', { name: 'Fail', exact: true }).click();
    await page.getByLabel('Error message').fill('the address does not exist');
    const details = page.getByLabel('Error details (JSON, optional)');
    await details.fill('{"field": ');
    await page.getByText(/^Not JSON/).waitFor(WAIT);
    expect(await page.getByRole('button', { name: 'Confirm fail' }).isDisabled()).toBe(true);
    await details.fill('{"field": "address"}');
    await confirm(page, 'Confirm fail');
    await page.locator('[data-process-status="FAILED"]').waitFor(WAIT);
    await page.locator('[data-task="review"][data-status="FAILED"]').waitFor(WAIT);
    await page.getByText('Failures only').click();
    await page.locator('[data-event="TaskFailed"]').waitFor(WAIT);
    expect(await page.locator('[data-event="TaskCompleted"]').count()).toBe(0);
    await expectAccessible(page, 'failed process');
    await screenshot(page, 'process-failed');
  });

  it('reruns it from the graph: the failed task runs again in run 2', async () => {
    await page.locator('[data-task="review"][data-status="FAILED"]').click();
    await page.getByRole('button', { name: 'Rerun from here' }).click();
    await confirm(page, 'Confirm rerun');
    await page.locator('[data-process-status="RUNNING"]').waitFor(WAIT);
    await page.locator('[data-task="review"][data-status="SCHEDULED"]').waitFor(WAIT);
    await page.locator('[data-task="check"][data-status="COMPLETED"]').waitFor(WAIT);
    expect((await call<{ runs: number }>('GET', `/processes/${id}`)).body.runs).toBe(2);
  });

  it('completes the manual task of run 2 with an output the JSON editor has checked', async () => {
    await page.locator('[data-task="review"][data-status="SCHEDULED"]').click();
    await page.locator('[data-drawer-task="review"]').waitFor(WAIT);
    await page.getByRole('button', { name: 'Complete', exact: true }).click();
    const output = page.getByLabel('Output (JSON)');
    await output.fill('{"approved": tru');
    await page.getByText(/^Not JSON/).waitFor(WAIT);
    expect(await page.getByRole('button', { name: 'Confirm complete' }).isDisabled()).toBe(true);
    await output.fill('{"approved": true}');
    await confirm(page, 'Confirm complete');
    await page.locator('[data-task="review"][data-status="COMPLETED"]').waitFor(WAIT);
    await page.locator('[data-task="ship"][data-status="SCHEDULED"]').waitFor(WAIT);
    const review = await call<{ output: unknown }>('GET', `/processes/${id}/tasks/review`);
    expect(review.body.output).toEqual({ approved: true });
  });

  it('cancels it with a reason, and lists it CANCELLED on the Processes page', async () => {
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByLabel('Reason (optional)').fill('the customer withdrew');
    await confirm(page, 'Confirm cancel');
    await page.locator('[data-process-status="CANCELLED"]').waitFor(WAIT);
    await page.getByText('the customer withdrew').first().waitFor(WAIT);
    await page.goto(`${stack.apiUrl}/console/#/processes`);
    await page.locator(`[data-process-id="${id}"][data-status="CANCELLED"]`).waitFor(WAIT);
    await page.getByLabel('Status').selectOption('RUNNING');
    await page.locator(`[data-process-id="${id}"]`).waitFor({ state: 'detached', ...WAIT });
    await page.getByLabel('Status').selectOption('');
    await page.locator(`[data-process-id="${id}"]`).waitFor(WAIT);
    await expectAccessible(page, 'processes');
    await screenshot(page, 'processes');
  });

  it('reruns the cancelled process from a task picked in the table: that task and everything downstream run again', async () => {
    await page.goto(`${stack.apiUrl}/console/#/processes/${id}`);
    await page.locator('[data-process-status="CANCELLED"]').waitFor(WAIT);
    await page.getByRole('checkbox', { name: 'Rerun from check' }).check();
    await page.getByRole('button', { name: 'Rerun from 1 picked' }).click();
    await page.getByText('and check with everything downstream').waitFor(WAIT);
    await confirm(page, 'Confirm rerun');
    await page.locator('[data-process-status="RUNNING"]').waitFor(WAIT);
    await page.locator('[data-task="check"][data-status="SCHEDULED"]').waitFor(WAIT);
    await page.locator('[data-task="review"][data-status="PENDING"]').waitFor(WAIT);
    expect((await call<{ runs: number }>('GET', `/processes/${id}`)).body.runs).toBe(3);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await confirm(page, 'Confirm cancel');
    await page.locator('[data-process-status="CANCELLED"]').waitFor(WAIT);
  });

  it('shows an API error as its code and message, not a blank page', async () => {
    await page.goto(`${stack.apiUrl}/console/#/processes/p-nosuchprocess`);
    await page.getByRole('alert').waitFor(WAIT);
    expect(await page.getByRole('alert').textContent()).toMatch(/ProcessNotFound|ValidationError/);
  });

  it('opens the page of a 2,000-task process with groups, and prints its time to interactive', async () => {
    const started = await call<{ id: string }>('POST', '/processes', { definition: WIDE, input: {} });
    const t0 = Date.now();
    await page.goto(`${stack.apiUrl}/console/#/processes/${started.body.id}`);
    await page.locator('[data-group="item-* ×2000"]').waitFor(WAIT);
    await page.getByRole('button', { name: 'Cancel', exact: true }).waitFor(WAIT);
    const ms = Date.now() - t0;
    console.log(`console: the ${WIDTH + 1}-task process page was interactive in ${ms} ms`);
    expect(await page.locator('[data-task]').count()).toBeLessThan(200);
    await expectAccessible(page, 'wide process');
    await screenshot(page, 'process-wide');

    // While nothing moves, each tick reads the process and its active tasks only: no task pages, history or definition.
    const reads: string[] = [];
    const onRequest = (r: { url(): string }) => reads.push(new URL(r.url()).pathname + new URL(r.url()).search);
    page.on('request', onRequest);
    await expect.poll(() => reads.filter((r) => r === `/processes/${started.body.id}`).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    page.off('request', onRequest);
    const kinds = new Set(reads.map((r) => r.replace(started.body.id, '{id}')));
    expect([...kinds].sort()).toEqual(['/processes/{id}', '/processes/{id}/tasks/active?limit=500']);
  });

  it('works at 390×844: every page without serious axe findings', async () => {
    const phone = await browser.newContext({ viewport: VIEWPORTS.phone });
    const small = await phone.newPage();
    try {
      await small.goto(`${stack.apiUrl}/console/#/processes`);
      await small.locator(`[data-process-id="${id}"]`).waitFor(WAIT);
      await expectAccessible(small, 'processes (phone)');
      await small.goto(`${stack.apiUrl}/console/#/processes/${id}`);
      await small.locator('[data-task="review"]').waitFor(WAIT);
      await expectAccessible(small, 'process (phone)');
      await screenshot(small, 'process-phone');
      await small.goto(`${stack.apiUrl}/console/#/definitions/${ORDER}`);
      await small.locator('[data-task="review"]').waitFor(WAIT);
      await expectAccessible(small, 'definition (phone)');
      await small.goto(`${stack.apiUrl}/console/#/definitions`);
      await small.locator(`[data-definition="${ORDER}"]`).waitFor(WAIT);
      await expectAccessible(small, 'definitions (phone)');
    } finally {
      await phone.close();
    }
  });
}, 60_000);
