import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateDefinition, canonicalDefinition } from '#domain/definition.ts';
import { InvalidDefinitionError } from '#domain/errors.ts';
import { backoffMs, decideRetry, DEFAULT_RETRY, resolveTaskPolicy, type RetryPolicy } from '#domain/retry-policy.ts';

const OPTIONS = { queues: ['default'], defaultQueue: 'default' };

describe('backoff', () => {
  it('computes the delays exactly with jitter none: interval × rate^(n−2), capped', () => {
    const policy: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 10, intervalSeconds: 2, backoffRate: 3, maxIntervalSeconds: 100, jitter: 'none' };
    expect([2, 3, 4, 5, 6, 7].map((n) => backoffMs(policy, n, 0.5))).toEqual([2000, 6000, 18_000, 54_000, 100_000, 100_000]);
    expect(backoffMs({ ...DEFAULT_RETRY, jitter: 'none' }, 2, 0)).toBe(1000);
  });

  it('keeps full-jitter delays between 0 and the computed delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        fc.double({ min: 0, max: 600, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 3600, noNaN: true }),
        (n, random, interval, rate, cap) => {
          const policy: RetryPolicy = { ...DEFAULT_RETRY, intervalSeconds: interval, backoffRate: rate, maxIntervalSeconds: cap, jitter: 'full' };
          const bound = backoffMs({ ...policy, jitter: 'none' }, n, random);
          const delay = backoffMs(policy, n, random);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(bound);
          expect(bound).toBeLessThanOrEqual(cap * 1000);
        },
      ),
    );
  });

  it('decides: retry with attempts left; not on the last attempt, a nonRetryable code or retryable: false; retryAfterSeconds wins', () => {
    const policy: RetryPolicy = { ...DEFAULT_RETRY, jitter: 'none', nonRetryable: ['CardDeclined'] };
    const at = { now: 10_000, random: 0.3 };
    expect(decideRetry(policy, 1, {}, at)).toEqual({ retry: true, nextAttemptAt: 11_000 });
    expect(decideRetry(policy, 2, {}, at)).toEqual({ retry: true, nextAttemptAt: 12_000 });
    expect(decideRetry(policy, 3, {}, at)).toEqual({ retry: false, reason: 'exhausted' });
    expect(decideRetry(policy, 1, { code: 'CardDeclined' }, at)).toEqual({ retry: false, reason: 'nonRetryable' });
    expect(decideRetry(policy, 1, { retryable: false }, at)).toEqual({ retry: false, reason: 'nonRetryable' });
    expect(decideRetry(policy, 1, { retryAfterSeconds: 90 }, at)).toEqual({ retry: true, nextAttemptAt: 100_000 });
    expect(decideRetry({ ...policy, maxAttempts: 1 }, 1, {}, at)).toEqual({ retry: false, reason: 'exhausted' });
  });

  it('resolves a task policy: its own keys win over defaults, which win over the built-in ones', () => {
    expect(resolveTaskPolicy({ retry: { intervalSeconds: 10, maxAttempts: 4 }, attemptTimeoutSeconds: 60 }, { retry: { maxAttempts: 5 }, optional: true })).toEqual({
      retry: { ...DEFAULT_RETRY, intervalSeconds: 10, maxAttempts: 5 },
      optional: true,
      attemptTimeoutSeconds: 60,
    });
    expect(resolveTaskPolicy(undefined, {})).toEqual({ retry: DEFAULT_RETRY, optional: false });
  });
});

describe('the definition language additions', () => {
  const problemsOf = (doc: unknown) => {
    try {
      validateDefinition(doc, OPTIONS);
      return [];
    } catch (e) {
      return (e as InvalidDefinitionError).details.map((d) => d.path);
    }
  };

  it('accepts every key of the issue, and keeps every v1 definition working', () => {
    const spec = validateDefinition(
      {
        description: 'Loan application',
        timeoutSeconds: 86_400,
        onFailure: 'skipDownstream',
        defaults: {
          retry: { maxAttempts: 3, intervalSeconds: 1, backoffRate: 2, maxIntervalSeconds: 300, jitter: 'full', nonRetryable: ['CardDeclined'] },
          timeoutSeconds: 120,
          attemptTimeoutSeconds: 3600,
        },
        tasks: [
          { name: 'Charge Card', retry: { maxAttempts: 5, intervalSeconds: 10 } },
          { name: 'Send Receipt', needs: ['Charge Card'], optional: true },
        ],
      },
      OPTIONS,
    );
    expect(spec).toMatchObject({ timeoutSeconds: 86_400, onFailure: 'skipDownstream', defaults: { attemptTimeoutSeconds: 3600 } });
    expect(spec.tasks.map((t) => t.timeoutSeconds)).toEqual([120, 120]);
    expect(spec.tasks[1]).toMatchObject({ optional: true });
    expect(validateDefinition({ tasks: [{ name: 'A' }] }, OPTIONS)).toEqual({ tasks: [{ name: 'A', needs: [], queue: 'default', timeoutSeconds: 300 }] });
  });

  it('reports each bad value in its own entry', () => {
    const paths = problemsOf({
      onFailure: 'keepGoing',
      timeoutSeconds: 0,
      defaults: { retry: { jitter: 'some' }, attemptTimeoutSeconds: -1 },
      tasks: [{ name: 'A', retry: { maxAttempts: 0, intervalSeconds: -1, backoffRate: 0.5, nonRetryable: 'X' }, optional: 'yes' }],
    });
    expect([...paths].sort()).toEqual(
      [
        'timeoutSeconds',
        'onFailure',
        'defaults.retry.jitter',
        'defaults.attemptTimeoutSeconds',
        'tasks[0].retry.maxAttempts',
        'tasks[0].retry.intervalSeconds',
        'tasks[0].retry.backoffRate',
        'tasks[0].retry.nonRetryable',
        'tasks[0].optional',
      ].sort(),
    );
    expect(problemsOf({ tasks: [{ name: 'A', retry: { maxAttempt: 2 } }] })).toEqual(['tasks[0].retry.maxAttempt']);
  });

  it('makes a new version for a changed policy, and none for a spelled-out default', () => {
    const hash = (doc: unknown) => canonicalDefinition(validateDefinition(doc, OPTIONS));
    const plain = hash({ tasks: [{ name: 'A' }] });
    expect(hash({ defaults: { retry: { maxAttempts: 3, jitter: 'full' } }, onFailure: 'failFast', tasks: [{ name: 'A', optional: false }] })).toBe(plain);
    for (const changed of [
      { tasks: [{ name: 'A', retry: { maxAttempts: 5 } }] },
      { defaults: { retry: { intervalSeconds: 5 } }, tasks: [{ name: 'A' }] },
      { onFailure: 'skipDownstream', tasks: [{ name: 'A' }] },
      { timeoutSeconds: 60, tasks: [{ name: 'A' }] },
      { tasks: [{ name: 'A', optional: true }] },
      { tasks: [{ name: 'A', attemptTimeoutSeconds: 60 }] },
    ]) {
      expect(hash(changed), JSON.stringify(changed)).not.toBe(plain);
    }
  });
});
