import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { METRIC } from '#observability/metric-names.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';
import { invokeRoute, type GroupHandler } from '../support/invoke-route.ts';

/**
 * "An AccessDenied or a missing table after deploy raises no alarm": the
 * handlers answer 500 and the function succeeds, so Lambda's Errors metric
 * stays 0. Each handler therefore emits `HandledServerErrors` as an EMF line
 * that CloudWatch turns into the metric the HandledServerErrors alarm watches.
 * Here every group's function is pointed at a table that does not exist.
 */
const NAMESPACE = 'TributaryErrorTest';
const SERVICE = 'unexpected-error-test';

interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  service: string;
  [metric: string]: unknown;
}

let handlers: Record<'read' | 'control' | 'worker', GroupHandler>;
let sweeper: (event: unknown, context: unknown) => Promise<unknown>;
const stdout: string[] = [];
const stderr: string[] = [];

beforeAll(async () => {
  // Before the handler modules load: Powertools reads its settings at import.
  process.env.TRIBUTARY_TABLE_NAME = 'tributary-table-that-does-not-exist';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = NAMESPACE;
  process.env.POWERTOOLS_SERVICE_NAME = SERVICE;
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  handlers = {
    read: (await import('../../functions/api/read-routes.ts')).handler,
    control: (await import('../../functions/api/control-routes.ts')).handler,
    worker: (await import('../../functions/api/worker-routes.ts')).handler,
  };
  sweeper = (await import('../../functions/sweeper.ts')).handler as typeof sweeper;
});

afterEach(() => {
  vi.restoreAllMocks();
  stdout.length = 0;
  stderr.length = 0;
});

/** Captures what Powertools writes: metrics (EMF) to stdout, error logs to stderr. */
function captureStdout(): void {
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
}

/** The structured log lines written since capturing began. */
function logLines(): Record<string, unknown>[] {
  return [...stdout, ...stderr]
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{') && !l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The EMF lines written to stdout since capturing began. */
function emfLines(): EmfLine[] {
  return stdout
    .join('')
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfLine);
}

describe('an unexpected error in a handler', () => {
  const cases: ['read' | 'control' | 'worker', string, Parameters<typeof invokeRoute>[2]][] = [
    ['read', 'GetProcess', { params: { id: 'p-1' } }],
    ['control', 'StartProcess', { body: { definition: 'loans' } }],
    ['worker', 'ClaimTask', { params: { id: 'p-1', task: 'a' }, body: { workerId: 'w-1' } }],
  ];

  it.each(cases)('in the %s function (%s) answers a generic 500 and emits the HandledServerErrors metric', async (group, routeId, call) => {
    captureStdout();
    const res = await invokeRoute(handlers[group], routeId, call);
    vi.restoreAllMocks();

    expect(res).toEqual({ status: 500, body: { error: { code: 'InternalError', message: 'internal error' } } });
    const lines = emfLines().filter((l) => METRIC.handledServerErrors in l);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line![METRIC.handledServerErrors]).toBe(1);
    expect(line!.service).toBe(SERVICE);
    expect(line!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: NAMESPACE,
      Dimensions: [['service']],
      Metrics: [{ Name: METRIC.handledServerErrors, Unit: 'Count' }],
    });
  });

  it('is logged as one structured JSON line with the request ids, the route, processId and task', async () => {
    captureStdout();
    await invokeRoute(handlers.worker, 'ClaimTask', { params: { id: 'p-42', task: 'review' }, body: { workerId: 'w-1' } });
    vi.restoreAllMocks();

    const errors = logLines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'unhandled error',
      service: SERVICE,
      processId: 'p-42',
      task: 'review',
      route: 'POST /processes/{id}/tasks/{task}/claim',
      function_request_id: expect.any(String),
      correlation_id: expect.any(String),
      error: expect.objectContaining({ name: expect.any(String), message: expect.any(String) }),
    });
  });

  it('in the sweeper fails the invocation (Lambda Errors) and emits SweeperErrors, without SweeperRuns', async () => {
    captureStdout();
    await expect(sweeper({}, createLambdaContext({ functionName: 'tributary-Sweeper', timeoutMs: 60_000 }))).rejects.toThrow();
    vi.restoreAllMocks();

    const lines = emfLines();
    expect(lines.map((l) => l[METRIC.sweeperErrors])).toEqual([1]);
    expect(lines.some((l) => METRIC.sweeperRuns in l)).toBe(false);
  });
});
