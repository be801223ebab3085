/**
 * A deep copy of an item or attribute value, as `structuredClone` makes it, for the in-memory table's copies in and
 * out. Items are JSON-like (strings, numbers, booleans, null, arrays and plain objects): those are copied by a plain
 * walk, several times faster than `structuredClone`'s serialise-and-deserialise, which the twin ran on every read and
 * write. Anything else (a `Date`, a `Uint8Array`, a `Map`, a class instance) goes to `structuredClone` itself, so
 * the copy is the same either way. Items have no cycles (DynamoDB cannot store one), so the walk needs no memo.
 */
export function copyItem<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) {
    // A function or a symbol cannot be copied: structuredClone throws its DataCloneError.
    return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value;
  }
  if (Array.isArray(value)) {
    // A sparse array keeps its holes, as structuredClone keeps them.
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      if (!(i in value)) return structuredClone(value);
      out[i] = copyValue(value[i]);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = copyValue((value as Record<string, unknown>)[key]);
  return out;
}
