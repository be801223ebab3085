import fc from 'fast-check';

/**
 * fast-check for the fuzz suites, with two guarantees a vitest worker needs.
 *
 * 1. A fixed seed: every CI run draws the same values, so a failure is
 *    reproducible and three runs in a row are three runs of the same thing.
 *    `FUZZ_SEED=<n>` draws others; every failure names the seed and path.
 * 2. Nothing deep crosses the fork boundary. Vitest's `forks` pool sends a
 *    test's result, its errors included, to the main process with
 *    `child_process` 'advanced' serialization (V8's serializer), which
 *    recurses per level: a value a few thousand levels deep throws
 *    RangeError inside `writeChannelMessage`, the file's results are lost
 *    and the run ends with a test-run error. fast-check's own error keeps
 *    the failing assertion as its `cause`, with the assertion's `actual` and
 *    `expected`: a failure on a 100,000-deep payload would take the worker's
 *    report down with it. So a failure is reported as a plain Error with a
 *    bounded message: the error's text, the seed, and each long string of
 *    the counterexample clipped, with its length and nesting depth.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 150_006);

const MAX_MESSAGE = 2000;
const MAX_STRING = 160;

/** `fc.assert` with the fixed seed and a report that carries no object: see the module's doc. */
export async function fuzzAssert<Ts extends unknown[]>(property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>, numRuns: number): Promise<void> {
  await fc.assert(property as fc.IAsyncProperty<Ts>, { numRuns, seed: FUZZ_SEED, reporter: shallowReport });
}

/** Throws, for a failed run, an Error that holds only strings: the reason, where to replay it, a clipped counterexample. */
export function shallowReport<Ts>(details: fc.RunDetails<Ts>): void {
  if (!details.failed) return;
  const reason = details.errorInstance instanceof Error ? `${details.errorInstance.name}: ${details.errorInstance.message}` : String(details.errorInstance);
  throw new Error(
    `property failed after ${details.numRuns} runs (FUZZ_SEED=${details.seed}, path "${details.counterexamplePath ?? ''}", ${details.numShrinks} shrinks)\n` +
      `${clip(reason, MAX_MESSAGE)}\ncounterexample: ${clip(describe(details.counterexample), MAX_MESSAGE)}`,
  );
}

/** The counterexample as text, long strings clipped and annotated (it holds strings and flat records only). */
function describe(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'string' && v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}… (${v.length} chars, ${depthOf(v)} levels deep)` : v));
  } catch (error) {
    return `(not printable: ${String(error)})`;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** Deepest nesting of a JSON text, by scanning it: no parse, no recursion. */
export function depthOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return deepest;
}
