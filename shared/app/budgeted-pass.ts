/** What a budgeted pass did. */
export interface PassResult {
  /** Items handled, from the start of the list: always a prefix, so the caller can record where to resume. */
  readonly handled: number;
  /** True when every item was handled. */
  readonly complete: boolean;
}

export interface PassOptions {
  /** Items per step (e.g. one SQS batch). */
  readonly chunk: number;
  /** Steps in flight at once. */
  readonly lanes: number;
  /** No step starts at or after this moment (epoch ms). */
  readonly deadline: number;
  readonly now: () => number;
}

/**
 * The one mechanism behind every piece of work too wide for one call (roots,
 * fan-outs, cancellations): the list is worked through in chunks, a few in
 * parallel, and no chunk starts past the deadline. The caller records
 * `handled` as its resume point and puts itself on the sweep index; the
 * sweeper calls the same code again from there, with its own budget.
 *
 * @example
 * const pass = await budgetedPass(children, { chunk: 10, lanes: 3, deadline: now + 3000, now: Date.now }, writeAndSend);
 * if (!pass.complete) await recordResumePoint(from + pass.handled);
 */
export async function budgetedPass<T>(items: readonly T[], options: PassOptions, step: (chunk: readonly T[]) => Promise<void>): Promise<PassResult> {
  const chunks = Math.ceil(items.length / options.chunk);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < chunks && options.now() < options.deadline) {
      const i = next++;
      await step(items.slice(i * options.chunk, (i + 1) * options.chunk));
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, options.lanes), chunks) }, lane));
  const handled = Math.min(items.length, next * options.chunk);
  return { handled, complete: handled === items.length };
}
