import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_BYTES, MAX_JSON_DEPTH } from '#schemas/json-depth.ts';
import { startTestApi, type TestApi, type TestResponse } from '../support/api.ts';
import { depthOf, fuzzAssert } from '../support/fuzz.ts';

/**
 * Deep, wide and odd JSON on every route that takes a body, through the real
 * handlers. Whatever arrives, the answer is never a 5xx, a 4xx names its
 * problem, and a 4xx leaves nothing written: the process still reads back.
 *
 * The properties run through `fuzzAssert` (support/fuzz.ts): a fixed seed
 * (`FUZZ_SEED` to draw others), and failures reported as bounded strings. The
 * extremes here nest up to 100,000 levels; as values they would break the
 * report's trip to vitest's main process, so they stay text: only the
 * server parses them, and a workerId is parsed only when it is a scalar.
 */
let api: TestApi;
const run = Math.random().toString(36).slice(2, 8);
const LIMIT = MAX_JSON_DEPTH;
const DEF = `fuzz-${run}`;
const JSON_HEADERS = { 'content-type': 'application/json' };
/** A task that needs the one before it; A is a root. */
/** One attempt per task: a failure here fails the process at once (issue 7's retries are tested elsewhere). */
const DEFINITION = { defaults: { retry: { maxAttempts: 1 } }, tasks: [{ name: 'A' }, { name: 'B', needs: ['A'] }] };
const LONG = { timeout: 180_000 };

type ErrorBody = { error: { code: string; message: string; details?: { path?: string; message: string }[] } };
type TaskView = { name: string; status: string; workerId?: string; output?: unknown; error?: unknown };
type ProcessView = { id: string; status: string; input: unknown; tasks: TaskView[] };

beforeAll(async () => {
  api = await startTestApi();
  expect((await api.request('PUT', `/definitions/${DEF}`, DEFINITION)).status).toBe(201);
});
afterAll(async () => {
  await api.close();
});

// ---------------------------------------------------------------- JSON texts

/** `levels` arrays or objects around `inner`, as text (JSON.stringify itself overflows on a few thousand levels). */
function wrap(inner: string, levels: number, kind: 'array' | 'object' | 'mixed' = 'array'): string {
  let open = '';
  let close = '';
  for (let i = 0; i < levels; i++) {
    const asObject = kind === 'object' || (kind === 'mixed' && i % 2 === 1);
    open += asObject ? '{"k":' : '[';
    close = (asObject ? '}' : ']') + close;
  }
  return open + inner + close;
}

/** The value a client reads back for a JSON text: parsed, then as JSON.stringify writes it (1e400 reads back as null). */
const canonical = (text: string): string => JSON.stringify(JSON.parse(text));

const LONE_SURROGATES = ['\ud800', 'a\udfffb', '\ude80\ud83d', 'x\udbff'];
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', '__proto__', 'constructor', 'prototype', '\u0000', '\u2028\u2029', '\ud83d\ude80', 'é'.repeat(50), ...LONE_SURROGATES),
);
const oddKey = fc.oneof(oddString, fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'));
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('1e400', '-1e400', '1e20', '-0', '5e-324', '0.1e-999', '123456789012345678901234567890', '9007199254740993', '1E+2'),
);
const scalarText = fc.oneof(numberText, oddString.map((s) => JSON.stringify(s)), fc.constantFrom('true', 'false', 'null'));

/** Random JSON trees as text, with odd keys and numbers that only exist as text. */
const treeText = fc.letrec<{ node: string; arr: string; obj: string }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarText, tie('arr'), tie('obj')),
  arr: fc.array(tie('node'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
  obj: fc
    .array(fc.tuple(oddKey, tie('node')), { maxLength: 4 })
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
})).node;

/** Extremes by hand: around the limit, far past it, very wide, and stored forms larger than the body. */
const EXTREMES: readonly string[] = [
  wrap('1', LIMIT - 1),
  wrap('1', LIMIT),
  wrap('1', LIMIT + 1),
  wrap('"x"', LIMIT, 'object'),
  wrap('{}', LIMIT - 1, 'mixed'),
  wrap('{}', LIMIT, 'mixed'),
  wrap('[]', 4115),
  wrap('1', 5000, 'mixed'),
  wrap('null', 100_000),
  `{${Array.from({ length: 15_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
  `[${Array.from({ length: 40_000 }, () => '1').join(',')}]`,
  // 5 bytes a number in the body, 22 once stored: more than MAX_JSON_BYTES.
  `[${Array.from({ length: 45_000 }, () => '1e20').join(',')}]`,
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
  JSON.stringify({ [LONE_SURROGATES[0]!]: LONE_SURROGATES[1], '\ud83d\ude80': '\u0000\u2028' }),
  '[1e400,-1e400,-0,5e-324,123456789012345678901234567890]',
];

/** A payload: a random tree, wrapped to a depth around the limit or not at all, or an extreme. */
const payloadText = fc.oneof(
  { arbitrary: treeText, weight: 3 },
  { arbitrary: fc.tuple(fc.integer({ min: LIMIT - 4, max: LIMIT + 4 }), treeText, fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>).map(([d, t, k]) => wrap(t, Math.max(0, d - depthOf(t)), k)), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)), weight: 2 },
  { arbitrary: fc.constantFrom(...EXTREMES), weight: 2 },
);

/** Why a payload must be refused, by an oracle independent of the code under test; undefined when it must be taken. */
function payloadVerdict(text: string): 'deep' | 'large' | undefined {
  if (depthOf(text) > LIMIT) return 'deep';
  return Buffer.byteLength(canonical(text), 'utf8') > MAX_JSON_BYTES ? 'large' : undefined;
}

// ---------------------------------------------------------------- helpers

async function send<T = unknown>(method: string, path: string, text?: string): Promise<TestResponse<T>> {
  return api.request<T>(method, path, text, text === undefined ? {} : JSON_HEADERS);
}

const task = (id: string, name: string) => `/processes/${id}/tasks/${encodeURIComponent(name)}`;

async function startProcess(): Promise<string> {
  const res = await api.request<{ id: string }>('POST', '/processes', { definition: DEF, input: { run } });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function claimA(id: string, workerId = 'w'): Promise<string> {
  const res = await api.request<{ leaseToken: string }>('POST', `${task(id, 'A')}/claim`, { workerId });
  expect(res.status).toBe(200);
  return res.body.leaseToken;
}

/** A new process whose root A is claimed by worker `w`. */
async function claimedProcess(): Promise<{ id: string; token: string }> {
  const id = await startProcess();
  return { id, token: await claimA(id) };
}

async function view(id: string): Promise<ProcessView> {
  const res = await api.request<ProcessView>('GET', `/processes/${id}`);
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return res.body;
}

const taskOf = (v: ProcessView, name: string): TaskView => v.tasks.find((t) => t.name === name)!;

/** A refused end of task A: nothing written, A still RUNNING under its claim, the process still RUNNING. */
function expectUntouched(after: ProcessView): void {
  expect(taskOf(after, 'A')).toMatchObject({ status: 'RUNNING', workerId: 'w' });
  expect(after.status).toBe('RUNNING');
}

/** Never a 5xx; a 4xx has the error body with a code and a message that says something. */
function expectNo5xx(res: TestResponse<unknown>): void {
  expect(res.status, `${res.status}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    const { error } = res.body as ErrorBody;
    expect(error.code).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(error.message.length).toBeGreaterThan(5);
  }
}

/** A 400 naming the field and the limit it broke. */
function expectRefused(res: TestResponse<unknown>, path: string, verdict: 'deep' | 'large'): void {
  expect(res.status, res.text.slice(0, 300)).toBe(400);
  const { error } = res.body as ErrorBody;
  expect(error.code).toBe('ValidationError');
  expect(error.message).toContain(path);
  expect(error.message).toContain(verdict === 'deep' ? `limit is ${LIMIT}` : `limit is ${MAX_JSON_BYTES}`);
  expect(error.details).toEqual([expect.objectContaining({ path, message: expect.any(String) })]);
}

// ---------------------------------------------------------------- routes

describe('payload fuzz: every route that takes a body', () => {
  it('POST /processes: input is kept exactly within the limits, refused with a 400 naming it past them, and nothing is started', LONG, async () => {
    const def = `${DEF}-start`;
    expect((await api.request('PUT', `/definitions/${def}`, DEFINITION)).status).toBe(201);
    const started = new Set<string>();
    const body = fc.oneof(
      { arbitrary: payloadText.map((p) => ({ text: `{"definition":${JSON.stringify(def)},"input":${p}}`, input: p as string | undefined })), weight: 6 },
      { arbitrary: fc.tuple(payloadText, oddString).map(([p, k]) => ({ text: `{"definition":${JSON.stringify(def)},"input":${p},"idempotencyKey":${JSON.stringify(k)}}`, input: undefined })), weight: 1 },
      { arbitrary: payloadText.map((p) => ({ text: p, input: undefined })), weight: 1 },
      { arbitrary: payloadText.map((p) => ({ text: `{"definition":${JSON.stringify(def)},"input":${p},"__proto__":{}}`, input: undefined })), weight: 1 },
    );
    await fuzzAssert(
      fc.asyncProperty(body, async ({ text, input }) => {
        const res = await send<ProcessView>('POST', '/processes', text);
        expectNo5xx(res);
        if (res.status < 300) started.add(res.body.id);
        if (input === undefined) return;
        const verdict = payloadVerdict(input);
        if (verdict) return expectRefused(res, 'body.input', verdict);
        expect(res.status, res.text.slice(0, 300)).toBe(201);
        expect(JSON.stringify(res.body.input)).toBe(canonical(input));
        expect(JSON.stringify((await view(res.body.id)).input)).toBe(canonical(input));
      }),
      40,
    );
    // Only the starts that answered 2xx exist.
    const list = await api.request<{ items: unknown[] }>('GET', `/processes?definition=${def}&limit=100`);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(started.size);
  });

  it('PUT /definitions/{name}: odd, deep and wide documents answer 2xx or a 4xx that stores nothing', LONG, async () => {
    const deepYaml = fc.integer({ min: 1, max: 3000 }).map((d) => `tasks:\n  - name: A\n    queue:\n      ${'- '.repeat(d)}1\n`);
    const oddDefinition = fc
      .array(fc.record({ name: oddString, needs: fc.option(fc.array(oddString, { maxLength: 2 }), { nil: undefined }) }, { requiredKeys: ['name'] }), {
        minLength: 1,
        maxLength: 3,
      })
      .map((tasks) => JSON.stringify({ tasks }));
    const document = fc.oneof(
      payloadText,
      deepYaml,
      oddDefinition,
      payloadText.map((p) => `{"tasks":[{"name":"A"}],"description":${p}}`),
      payloadText.map((p) => `{"tasks":[{"name":"A","needs":${p}}]}`),
      fc.constantFrom(`tasks: ${wrap('1', 5000)}`, `{"tasks":${wrap('{"name":"A"}', 4115)}}`, '{"tasks":[{"name":"__proto__"},{"name":"constructor","needs":["__proto__"]}]}'),
    );
    let i = 0;
    await fuzzAssert(
      fc.asyncProperty(document, fc.constantFrom('application/json', 'application/yaml'), async (text, contentType) => {
        const name = `${DEF}-def-${i++}`;
        const res = await api.request<ErrorBody>('PUT', `/definitions/${name}`, text, { 'content-type': contentType });
        expectNo5xx(res);
        const stored = await api.request('GET', `/definitions/${name}`);
        expect(stored.status).toBe(res.status < 300 ? 200 : 404);
        if (depthOf(text) > 100) expect(res.body.error.code).toBe('InvalidDefinition');
        if (res.status >= 300) return;
        // What was stored can be run and read back.
        const started = await api.request<{ id: string }>('POST', '/processes', { definition: name });
        expectNo5xx(started);
        if (started.status === 201) await view(started.body.id);
      }),
      30,
    );
  });

  it('claim: only a proper workerId claims; any other body leaves the task SCHEDULED', LONG, async () => {
    // A run that claimed, or failed half-way, leaves its process behind: the next run starts a fresh one.
    let current: string | undefined;
    const workerIdText = fc.oneof(oddString.map((s) => JSON.stringify(s)), payloadText);
    const body = fc.oneof(
      { arbitrary: workerIdText.map((w) => ({ text: `{"workerId":${w}}`, workerId: w as string | undefined })), weight: 4 },
      { arbitrary: payloadText.map((p) => ({ text: p, workerId: undefined })), weight: 1 },
      { arbitrary: workerIdText.map((w) => ({ text: `{"workerId":${w},"extra":${w}}`, workerId: undefined })), weight: 1 },
    );
    await fuzzAssert(
      fc.asyncProperty(body, async ({ text, workerId }) => {
        const id = current ?? (await startProcess());
        current = undefined;
        const res = await send<{ leaseToken: string; input: unknown }>('POST', `${task(id, 'A')}/claim`, text);
        expectNo5xx(res);
        // Only a scalar is parsed: a payload thousands of levels deep never becomes a value here (see support/fuzz.ts).
        const parsed = workerId === undefined || depthOf(workerId) > 0 ? undefined : (JSON.parse(workerId) as unknown);
        if (workerId !== undefined) {
          const proper = typeof parsed === 'string' && parsed.length >= 1 && parsed.length <= 256 && !/\p{Cs}/u.test(parsed);
          expect(res.status, res.text.slice(0, 300)).toBe(proper ? 200 : 400);
        }
        const a = taskOf(await view(id), 'A');
        if (res.status >= 300) {
          expect(a.status).toBe('SCHEDULED');
          current = id;
          return;
        }
        expect(a).toMatchObject({ status: 'RUNNING', workerId: parsed });
        expect(res.body.input).toEqual({ process: { run }, upstream: {} });
      }),
      40,
    );
  });

  it('heartbeat: only the lease token extends the lease; the task stays RUNNING for its worker', LONG, async () => {
    const id = await startProcess();
    const token = await claimA(id, 'hb-worker');
    const body = fc.oneof(
      fc.constant(`{"leaseToken":${JSON.stringify(token)}}`),
      fc.oneof(oddString.map((s) => JSON.stringify(s)), payloadText).map((t) => `{"leaseToken":${t}}`),
      payloadText,
      payloadText.map((p) => `{"leaseToken":${JSON.stringify(token)},"output":${p}}`),
    );
    await fuzzAssert(
      fc.asyncProperty(body, async (text) => {
        const res = await send('POST', `${task(id, 'A')}/heartbeat`, text);
        expectNo5xx(res);
        expect(res.status === 200).toBe(text === `{"leaseToken":${JSON.stringify(token)}}`);
        expect(taskOf(await view(id), 'A')).toMatchObject({ status: 'RUNNING', workerId: 'hb-worker' });
      }),
      50,
    );
  });

  it('complete: output is kept and handed on within the limits; a refused completion leaves the task RUNNING', LONG, async () => {
    let current: { id: string; token: string } | undefined;
    const body = fc.oneof(
      { arbitrary: payloadText.map((p) => ({ shape: 'token' as const, p })), weight: 6 },
      { arbitrary: payloadText.map((p) => ({ shape: 'no-token' as const, p })), weight: 1 },
      { arbitrary: fc.tuple(payloadText, oddString).map(([p, t]) => ({ shape: 'odd-token' as const, p, t })), weight: 1 },
      { arbitrary: payloadText.map((p) => ({ shape: 'whole-body' as const, p })), weight: 1 },
      { arbitrary: payloadText.map((p) => ({ shape: 'extra-key' as const, p })), weight: 1 },
    );
    await fuzzAssert(
      fc.asyncProperty(body, async (b) => {
        const { id, token } = current ?? (await claimedProcess());
        current = undefined;
        const text = {
          token: `{"leaseToken":${JSON.stringify(token)},"output":${b.p}}`,
          'no-token': `{"output":${b.p}}`,
          'odd-token': `{"leaseToken":${JSON.stringify('t' in b ? b.t : '')},"output":${b.p}}`,
          'whole-body': b.p,
          'extra-key': `{"leaseToken":${JSON.stringify(token)},"output":${b.p},"__proto__":${b.p}}`,
        }[b.shape];
        const res = await send('POST', `${task(id, 'A')}/complete`, text);
        expectNo5xx(res);
        const verdict = payloadVerdict(b.p);
        if (b.shape === 'token' && verdict) expectRefused(res, 'body.output', verdict);
        if (b.shape === 'token' && !verdict) expect(res.status, res.text.slice(0, 300)).toBe(200);
        const after = await view(id);
        if (res.status >= 300) {
          expectUntouched(after);
          current = { id, token };
          return;
        }
        expect(b.shape).toBe('token');
        expect(taskOf(after, 'A').status).toBe('COMPLETED');
        expect(JSON.stringify(taskOf(after, 'A').output)).toBe(canonical(b.p));
        // The child's claim hands the output on, and answers.
        const child = await api.request<{ input: { upstream: Record<string, unknown> } }>('POST', `${task(id, 'B')}/claim`, { workerId: 'w2' });
        expect(child.status, child.text.slice(0, 300)).toBe(200);
        expect(JSON.stringify(child.body.input.upstream.A)).toBe(canonical(b.p));
      }),
      35,
    );
  });

  it('fail: error details within the limits fail the process; a refused failure leaves the task RUNNING', LONG, async () => {
    let current: { id: string; token: string } | undefined;
    const errorText = fc.oneof(
      { arbitrary: fc.tuple(oddString, payloadText).map(([m, d]) => ({ e: `{"message":${JSON.stringify(m)},"details":${d}}`, details: d as string | undefined, valid: true })), weight: 5 },
      { arbitrary: fc.tuple(oddString, oddString).map(([m, c]) => ({ e: JSON.stringify({ message: m, code: c }), details: undefined, valid: true })), weight: 1 },
      { arbitrary: payloadText.map((d) => ({ e: d, details: undefined, valid: false })), weight: 1 },
      { arbitrary: payloadText.map((d) => ({ e: `{"message":"m","details":${d},"extra":1}`, details: undefined, valid: false })), weight: 1 },
    );
    await fuzzAssert(
      fc.asyncProperty(errorText, async ({ e, details, valid }) => {
        const { id, token } = current ?? (await claimedProcess());
        current = undefined;
        const res = await send('POST', `${task(id, 'A')}/fail`, `{"leaseToken":${JSON.stringify(token)},"error":${e}}`);
        expectNo5xx(res);
        const verdict = details === undefined ? undefined : payloadVerdict(details);
        if (verdict === 'deep') expectRefused(res, 'body.error.details', verdict);
        else if (verdict === 'large') expectRefused(res, 'body.error', verdict);
        else if (valid) expect(res.status, res.text.slice(0, 300)).toBe(200);
        const after = await view(id);
        if (res.status >= 300) {
          expectUntouched(after);
          current = { id, token };
          return;
        }
        expect(valid).toBe(true);
        expect(after.status).toBe('FAILED');
        expect(taskOf(after, 'A').status).toBe('FAILED');
        expect(JSON.stringify(taskOf(after, 'A').error)).toBe(canonical(e));
      }),
      35,
    );
  });

  it('cancel: whatever the body, a process holding payloads at the limit cancels (or refuses a malformed body with a 400, changing nothing) and stays readable', LONG, async () => {
    const output = fc.oneof(payloadText.filter((p) => payloadVerdict(p) === undefined), fc.constant(wrap('1', LIMIT)));
    await fuzzAssert(
      fc.asyncProperty(output, payloadText, async (out, cancelBody) => {
        const id = await startProcess();
        const token = await claimA(id);
        expect((await send('POST', `${task(id, 'A')}/complete`, `{"leaseToken":${JSON.stringify(token)},"output":${out}}`)).status).toBe(200);
        expect((await api.request('POST', `${task(id, 'B')}/claim`, { workerId: 'w2' })).status).toBe(200);
        // The body is `{reason?}` (issue 7): anything else is a 400 that cancels nothing.
        let cancelled = await send<ProcessView>('POST', `/processes/${id}/cancel`, cancelBody);
        expectNo5xx(cancelled);
        if (cancelled.status === 400) {
          expect((await view(id)).status).toBe('RUNNING');
          cancelled = await send<ProcessView>('POST', `/processes/${id}/cancel`, '{"reason":"fuzzed"}');
        }
        expect(cancelled.status, cancelled.text.slice(0, 300)).toBe(200);
        expect(cancelled.body.status).toBe('CANCELLED');
        const after = await view(id);
        expect(after.status).toBe('CANCELLED');
        expect(JSON.stringify(taskOf(after, 'A').output)).toBe(canonical(out));
        // Cancelling again changes nothing, and still answers.
        const again = await send('POST', `/processes/${id}/cancel`, cancelBody);
        expectNo5xx(again);
        expect((await view(id)).status).toBe('CANCELLED');
      }),
      10,
    );
  });
});

// ---------------------------------------------------------------- the original report

describe('a poison payload (issue 6, item 7)', () => {
  it('an output nested 4,115 levels is refused before anything is written; GET, the child claim and cancel then answer, consistently', LONG, async () => {
    const id = await startProcess();
    const token = await claimA(id);
    for (const levels of [4115, 5000, LIMIT + 1]) {
      const res = await send('POST', `${task(id, 'A')}/complete`, `{"leaseToken":${JSON.stringify(token)},"output":${wrap('"bottom"', levels, 'mixed')}}`);
      expectRefused(res, 'body.output', 'deep');
      const v = await view(id);
      expect(v.status).toBe('RUNNING');
      expect(taskOf(v, 'A')).toMatchObject({ status: 'RUNNING', workerId: 'w' });
      expect(taskOf(v, 'B').status).toBe('PENDING');
    }
    // The deepest output accepted reads back everywhere it is embedded.
    const deepest = wrap('"bottom"', LIMIT, 'mixed');
    expect((await send('POST', `${task(id, 'A')}/complete`, `{"leaseToken":${JSON.stringify(token)},"output":${deepest}}`)).status).toBe(200);
    expect(JSON.stringify(taskOf(await view(id), 'A').output)).toBe(canonical(deepest));
    const child = await api.request<{ leaseToken: string; input: { upstream: Record<string, unknown> } }>('POST', `${task(id, 'B')}/claim`, {
      workerId: 'w2',
    });
    expect(child.status, child.text.slice(0, 300)).toBe(200);
    expect(JSON.stringify(child.body.input.upstream.A)).toBe(canonical(deepest));
    expect(taskOf(await view(id), 'B')).toMatchObject({ status: 'RUNNING', workerId: 'w2' });
    const cancel = await api.request<ProcessView>('POST', `/processes/${id}/cancel`);
    expect(cancel.status, cancel.text.slice(0, 300)).toBe(200);
    expect(cancel.body.status).toBe('CANCELLED');
    const after = await view(id);
    expect(after.status).toBe('CANCELLED');
    expect(taskOf(after, 'B').status).toBe('CANCELLED');
  });

  it('a start or a failure nested deeper is refused with a 400 naming the field, and nothing is written', LONG, async () => {
    const key = `poison-${run}`;
    const start = await send('POST', '/processes', `{"definition":"${DEF}","idempotencyKey":"${key}","input":${wrap('1', 4116)}}`);
    expectRefused(start, 'body.input', 'deep');
    // The key was not taken: the same key starts a new process now.
    const fresh = await api.request('POST', '/processes', { definition: DEF, idempotencyKey: key, input: 1 });
    expect(fresh.status).toBe(201);

    const id = await startProcess();
    const token = await claimA(id);
    const fail = await send('POST', `${task(id, 'A')}/fail`, `{"leaseToken":"${token}","error":{"message":"m","details":${wrap('1', 4116, 'object')}}}`);
    expectRefused(fail, 'body.error.details', 'deep');
    expect(taskOf(await view(id), 'A').status).toBe('RUNNING');
    // Deep enough to break a recursive parser: still the client's 400, never a 500.
    const deepest = await send('POST', `${task(id, 'A')}/complete`, wrap('1', 120_000));
    expect(deepest.status).toBe(400);
    expect((deepest.body as ErrorBody).error.code).toBe('ValidationError');
  });
});
