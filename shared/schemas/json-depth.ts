/**
 * Limits on the JSON payloads Tributary stores and hands back: a process's
 * `input`, a task's `output` and a failure's `error.details`.
 *
 * Every reader of a stored payload serialises it again, embedded a few levels
 * deeper: a claim answers `{input:{upstream:{<task>: output}}}`, a process view
 * `{tasks:[{output}]}` or `{tasks:[{error:{details}}]}`. `JSON.stringify` and
 * `JSON.parse` recurse, so a payload nested a few thousand levels deep would
 * be accepted and then break every later read. The limits are checked at the
 * edge, before anything is written.
 */

/**
 * Deepest nesting accepted in a payload: 64 levels of arrays and objects (a
 * scalar is 0, `[]` and `{}` are 1, `{"a":[1]}` is 2). Real payloads stay far
 * below it, the responses that embed a payload add at most 4 levels, and
 * `JSON.stringify` only overflows the stack thousands of levels down, so
 * every stored payload can be read and answered with room to spare.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Largest payload as it is stored: its JSON text, in UTF-8 bytes. The request
 * body is capped at 256 KiB, but its text is not what is stored: `1e20` is
 * written back as `100000000000000000000`, five times longer. A payload is
 * stored in a DynamoDB item (400 KB at most), so its stored form gets the
 * body's cap too.
 */
export const MAX_JSON_BYTES = 256 * 1024;

/**
 * The nesting depth of a JSON value: 0 for a scalar, 1 for `[]` or `{}`, one
 * more per level of arrays and objects. Iterative, so no depth overflows the
 * stack. It stops as soon as the depth exceeds `cap` and returns `cap + 1`,
 * which also bounds the walk of a cyclic (non-JSON) value.
 *
 * @example
 * jsonDepth({ a: [1, { b: null }] }); // 3
 * jsonDepth(deep, MAX_JSON_DEPTH) > MAX_JSON_DEPTH; // too deep, found without walking all of it
 */
export function jsonDepth(value: unknown, cap: number = Number.MAX_SAFE_INTEGER): number {
  if (!isContainer(value)) return 0;
  let deepest = 0;
  const stack: [object, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > deepest) {
      if (depth > cap) return cap + 1;
      deepest = depth;
    }
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) if (isContainer(child)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Why `value` cannot be stored as a payload, or undefined when it can: too
 * deep, or too large once serialised (see {@link jsonSizeProblem}).
 */
export function jsonPayloadProblem(value: unknown): string | undefined {
  return jsonDepthProblem(value) ?? jsonSizeProblem(value);
}

/** Why `value` is too deep to store, or undefined. */
export function jsonDepthProblem(value: unknown): string | undefined {
  if (jsonDepth(value, MAX_JSON_DEPTH) <= MAX_JSON_DEPTH) return undefined;
  return `is nested more than ${MAX_JSON_DEPTH} levels deep; the limit is ${MAX_JSON_DEPTH} levels of arrays and objects`;
}

/**
 * Why the JSON text of `value` is too large to store (or cannot be made),
 * or undefined. A value too deep to serialise safely is left to
 * {@link jsonDepthProblem}: it is not serialised here, and undefined is returned.
 */
export function jsonSizeProblem(value: unknown): string | undefined {
  if (jsonDepth(value, MAX_JSON_DEPTH + 8) > MAX_JSON_DEPTH + 8) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return `cannot be stored as JSON: ${(error as Error).message}`;
  }
  const bytes = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_JSON_BYTES) return `is ${bytes} bytes once stored as JSON; the limit is ${MAX_JSON_BYTES}`;
  return undefined;
}

/** True when `value` has no lone surrogate, so it can be written as UTF-8 (e.g. as a DynamoDB string). */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

// With the u flag a surrogate pair is one code point, so only a lone half is a Cs code point.
const LONE_SURROGATE = /\p{Cs}/u;

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
