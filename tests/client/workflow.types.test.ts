import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { workflow, Worker, type TaskRef, type WorkerOptions } from '../../client/index.ts';

/**
 * Type tests: `npm run typecheck` compiles them, so a typing regression fails
 * the build; vitest runs them as ordinary (no-op) tests.
 */
describe('code-first workflow types', () => {
  const onboarding = workflow('user-onboarding', { input: z.object({ userId: z.string() }) });
  const fetchUser = onboarding.task('fetch user', { timeoutSeconds: 5 }, async ({ input }) => {
    expectTypeOf(input).toEqualTypeOf<{ userId: string }>();
    return { id: input.userId, name: 'Ada' };
  });
  const fetchSettings = onboarding.task('fetch settings', async () => ({ locale: 'en_GB' as const }));
  const opened = onboarding.manualTask('open account', { output: z.object({ plan: z.enum(['free', 'pro']) }) });

  it('types a task reference with its workflow, name and output', () => {
    expectTypeOf(fetchUser).toEqualTypeOf<TaskRef<'user-onboarding', 'fetch user', { id: string; name: string }>>();
    // A manual task's dependants get its output parsed with its schema, not merely as JSON.
    expectTypeOf(opened).toEqualTypeOf<TaskRef<'user-onboarding', 'open account', { plan: 'free' | 'pro' }, { plan: 'free' | 'pro' }>>();
  });

  it("types upstream from the parents' return types, by task name", () => {
    onboarding.task('email user', { needs: [fetchUser, fetchSettings, opened] }, async ({ upstream }) => {
      expectTypeOf(upstream['fetch user'].name).toEqualTypeOf<string>();
      expectTypeOf(upstream['fetch settings'].locale).toEqualTypeOf<'en_GB'>();
      expectTypeOf(upstream['open account'].plan).toEqualTypeOf<'free' | 'pro'>();
      // @ts-expect-error: 'fetch settings' returns no name
      void upstream['fetch settings'].name;
      return 'sent';
    });
  });

  it('types upstream as it arrives through JSON: dates as strings, maybe-undefined properties optional, functions gone', () => {
    const stamped = onboarding.task('stamp', () => ({ at: new Date(), note: 'x' as string | undefined, maybe: undefined, run: () => 1, tags: ['a'] }));
    onboarding.task('read stamp', { needs: [stamped] }, ({ upstream }) => {
      expectTypeOf(upstream.stamp.at).toEqualTypeOf<string>();
      expectTypeOf(upstream.stamp.tags).toEqualTypeOf<string[]>();
      expectTypeOf(upstream.stamp).toEqualTypeOf<{ at: string; tags: string[]; note?: string }>();
      // @ts-expect-error: a function does not survive JSON
      void upstream.stamp.run;
      // @ts-expect-error: a property that is always undefined is not sent
      void upstream.stamp.maybe;
    });
  });

  it("types a manual task's upstream as its schema's output, transforms included", () => {
    const form = onboarding.manualTask('form', { output: z.object({ when: z.iso.date().transform((d) => new Date(d)) }) });
    onboarding.task('read form', { needs: [form] }, ({ upstream }) => {
      expectTypeOf(upstream.form.when).toEqualTypeOf<Date>();
    });
  });

  it('gives upstream only the needs, so a task that is not needed is not there', () => {
    onboarding.task('greet', { needs: [fetchUser] }, ({ upstream }) => {
      expectTypeOf(upstream).toEqualTypeOf<{ readonly 'fetch user': { id: string; name: string } }>();
      // @ts-expect-error: 'fetch settings' is not a need of this task
      void upstream['fetch settings'];
    });
    onboarding.task('root', ({ upstream }) => {
      expectTypeOf(upstream).toEqualTypeOf<{}>(); // eslint-disable-line @typescript-eslint/no-empty-object-type
    });
  });

  it('makes needing a task of another workflow a type error', () => {
    const billing = workflow('billing');
    const charge = billing.task('charge', async () => ({ amount: 10 }));
    // @ts-expect-error: 'charge' belongs to workflow 'billing', not 'user-onboarding'
    onboarding.task('thank', { needs: [charge] }, async () => undefined);
  });

  it('offers every task option of the definition language, checked by type', () => {
    onboarding.task('queued', { queue: 'default', timeoutSeconds: 60 }, () => 1);
    // @ts-expect-error: timeoutSeconds is a number of seconds
    onboarding.task('bad timeout', { timeoutSeconds: '60' }, () => 1);
    // @ts-expect-error: not an option of the language
    onboarding.task('typo', { timeout: 60 }, () => 1);
  });

  it('leaves the input unknown when the workflow has no input schema', () => {
    workflow('free').task('anything', ({ input }) => {
      expectTypeOf(input).toBeUnknown();
    });
  });

  it('lets a Worker take typed workflows', () => {
    expectTypeOf<{ workflows: [typeof onboarding] }>().toMatchTypeOf<Pick<WorkerOptions, 'workflows'>>();
    expectTypeOf(Worker).constructorParameters.toEqualTypeOf<[WorkerOptions]>();
  });
});
