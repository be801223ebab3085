import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TributaryClient, sigv4Fetch } from '../../client/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';

/**
 * Golden workflow test: the loan-application example run step by step, with
 * the process's observable history (status, progress and active tasks after
 * each step) compared against a recorded expectation.
 *
 * By default it runs against the real handlers on the embedded emulators. Set
 * `TRIBUTARY_GOLDEN_API_URL` to run the same file against a deployed stack
 * (and `TRIBUTARY_GOLDEN_SIGV4_REGION` to sign requests for an IAM-authorized API).
 */
const external = process.env.TRIBUTARY_GOLDEN_API_URL;
const signRegion = process.env.TRIBUTARY_GOLDEN_SIGV4_REGION;
const definitionYaml = readFileSync(new URL('../../examples/loan-application/loan-application.yaml', import.meta.url), 'utf8');

let local: TestApi | undefined;
let client: TributaryClient;

beforeAll(async () => {
  local = external ? undefined : await startTestApi();
  client = new TributaryClient({
    baseUrl: external ?? local!.url,
    ...(signRegion ? { fetch: sigv4Fetch({ region: signRegion }) } : {}),
  });
});
afterAll(async () => {
  await local?.close();
});

type Snapshot = { step: string; status: string; progress: string; active: string[] };

async function snapshot(processId: string, step: string): Promise<Snapshot> {
  const p = await client.getProcess(processId);
  const active = p.tasks.filter((t) => t.status === 'SCHEDULED' || t.status === 'RUNNING').map((t) => `${t.name}: ${t.status}`);
  return { step, status: p.status, progress: `${p.progress.completed}/${p.progress.total} (${p.progress.percent}%)`, active };
}

const GOLDEN: Snapshot[] = [
  { step: 'start', status: 'RUNNING', progress: '0/4 (0%)', active: ['Open Loan Application: SCHEDULED'] },
  { step: 'complete Open Loan Application (manual)', status: 'RUNNING', progress: '1/4 (25%)', active: ['Review Credit: SCHEDULED', 'Check Identity: SCHEDULED'] },
  { step: 'claim Review Credit', status: 'RUNNING', progress: '1/4 (25%)', active: ['Review Credit: RUNNING', 'Check Identity: SCHEDULED'] },
  { step: 'claim Check Identity', status: 'RUNNING', progress: '1/4 (25%)', active: ['Review Credit: RUNNING', 'Check Identity: RUNNING'] },
  { step: 'complete Check Identity', status: 'RUNNING', progress: '2/4 (50%)', active: ['Review Credit: RUNNING'] },
  { step: 'complete Review Credit', status: 'RUNNING', progress: '3/4 (75%)', active: ['Decide: SCHEDULED'] },
  { step: 'claim Decide', status: 'RUNNING', progress: '3/4 (75%)', active: ['Decide: RUNNING'] },
  { step: 'complete Decide', status: 'COMPLETED', progress: '4/4 (100%)', active: [] },
];

describe('golden run of the loan-application example', () => {
  it('goes through the recorded history, passing outputs downstream', async () => {
    const name = `golden-loan-${Date.now().toString(36)}`;
    await client.putDefinition(name, definitionYaml);
    const { process } = await client.startProcess({ definition: name, input: { applicant: 'Ada Lovelace' } });
    const history = [await snapshot(process.id, 'start')];
    const step = async (label: string, action: () => Promise<unknown>) => {
      await action();
      history.push(await snapshot(process.id, label));
    };

    await step('complete Open Loan Application (manual)', () => client.complete(process.id, 'Open Loan Application', { output: { amount: 1_000_000 } }));
    const credit = await client.claim(process.id, 'Review Credit', 'credit-worker');
    history.push(await snapshot(process.id, 'claim Review Credit'));
    const identity = await client.claim(process.id, 'Check Identity', 'identity-worker');
    history.push(await snapshot(process.id, 'claim Check Identity'));
    await step('complete Check Identity', () => client.complete(process.id, 'Check Identity', { leaseToken: identity.leaseToken, output: { verified: true } }));
    await step('complete Review Credit', () => client.complete(process.id, 'Review Credit', { leaseToken: credit.leaseToken, output: { score: 712 } }));
    const decide = await client.claim(process.id, 'Decide', 'decision-worker');
    history.push(await snapshot(process.id, 'claim Decide'));
    await step('complete Decide', () => client.complete(process.id, 'Decide', { leaseToken: decide.leaseToken, output: { approved: true } }));

    expect(history).toEqual(GOLDEN);
    expect(credit.input).toEqual({ process: { applicant: 'Ada Lovelace' }, upstream: { 'Open Loan Application': { amount: 1_000_000 } } });
    expect(decide.input.upstream).toEqual({ 'Review Credit': { score: 712 }, 'Check Identity': { verified: true } });
  });
});
