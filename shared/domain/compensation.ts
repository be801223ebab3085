import { COMPENSATION_STATUSES, type DefinitionSpec } from '#schemas/definition-schema.ts';
import { jsonDepth, jsonPayloadProblem, MAX_JSON_BYTES, MAX_JSON_DEPTH } from '#schemas/json-depth.ts';

/**
 * The `compensation:` key of a definition (issue 8, part 5), kept apart from
 * the rest of the language: what it resolves to, how it hashes, and the input
 * of the process it starts. Pure.
 */

export type CompensationStatus = (typeof COMPENSATION_STATUSES)[number];

/** `compensation:` as a normalised spec carries it (as written, `on` unresolved). */
export type CompensationSpec = NonNullable<DefinitionSpec['compensation']>;

/** The statuses that start a compensation when `on` is left out. */
export const DEFAULT_COMPENSATION_ON: readonly CompensationStatus[] = ['FAILED'];

/** The statuses of `on`, resolved: deduplicated, in the order of {@link COMPENSATION_STATUSES}. */
export function compensationStatuses(spec: CompensationSpec): CompensationStatus[] {
  const on = spec.on ?? DEFAULT_COMPENSATION_ON;
  return COMPENSATION_STATUSES.filter((s) => on.includes(s));
}

/** Whether a process that ended in `status` starts the compensation of `spec`. */
export function compensatesOn(spec: CompensationSpec | undefined, status: string): spec is CompensationSpec {
  return spec !== undefined && (compensationStatuses(spec) as readonly string[]).includes(status);
}

/** As written, without undefined keys (what the normalised spec stores). */
export function normaliseCompensation(doc: { definition: string; version?: number | undefined; on?: readonly CompensationStatus[] | undefined }): CompensationSpec {
  return { definition: doc.definition, ...(doc.version === undefined ? {} : { version: doc.version }), ...(doc.on === undefined ? {} : { on: [...doc.on] }) };
}

/**
 * The compensation's part of the canonical form: `on` resolved, and left out
 * when it is the default, so `on: [FAILED]` spelled out (or listed twice, or
 * in another order) hashes like an omitted `on`.
 */
export function canonicalCompensation(spec: CompensationSpec): Record<string, unknown> {
  const on = compensationStatuses(spec);
  const isDefault = on.length === DEFAULT_COMPENSATION_ON.length && on.every((s) => DEFAULT_COMPENSATION_ON.includes(s));
  return { definition: spec.definition, ...(spec.version === undefined ? {} : { version: spec.version }), ...(isDefault ? {} : { on }) };
}

/** The ended process as the compensation's input shows it. */
export interface CompensatedProcess {
  readonly id: string;
  readonly definition: string;
  readonly version: number;
  readonly input: unknown;
  readonly error?: unknown;
}

/**
 * The input of a compensation process: `{process: {id, definition, version,
 * input, error}, completed: {<task>: <output>}}`. It obeys the limits of any
 * process input (`#schemas/json-depth.ts`): outputs that would break them are
 * left out, the deepest and then the largest first, and named in `omitted`.
 * An ended process's input that cannot fit even alone is left out
 * (`process.inputOmitted: true`). The compensation can read what was left out
 * with GET /processes/{id}.
 *
 * @example
 * compensationInput({ id: 'p1', definition: 'loan', version: 1, input: { n: 1 } }, [['A', { ok: true }]])
 * // { process: { id: 'p1', definition: 'loan', version: 1, input: { n: 1 } }, completed: { A: { ok: true } } }
 */
export function compensationInput(process: CompensatedProcess, completed: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  // Two levels of wrapping ({completed: {<task>: ...}}, {process: {input: ...}}).
  const fitsDepth = (value: unknown) => jsonDepth(value, MAX_JSON_DEPTH) <= MAX_JSON_DEPTH - 2;
  const kept = new Map(completed.filter(([, output]) => fitsDepth(output)));
  const omitted = completed.filter(([name]) => !kept.has(name)).map(([name]) => name);
  const bySizeDescending = [...kept].map(([name, output]) => ({ name, bytes: byteLength(output) })).sort((a, b) => b.bytes - a.bytes);
  const build = (withInput: boolean) => ({
    process: {
      id: process.id,
      definition: process.definition,
      version: process.version,
      ...(withInput ? { input: process.input } : { inputOmitted: true }),
      ...(process.error === undefined ? {} : { error: process.error }),
    },
    completed: Object.fromEntries(kept),
    ...(omitted.length === 0 ? {} : { omitted: [...omitted] }),
  });
  // The ended process's own input first: if it cannot fit even alone, no output left out would help.
  const withInput = fitsDepth(process.input) && jsonPayloadProblem({ process: { ...process }, completed: {} }) === undefined;
  // One serialisation to estimate, then a check per output left out only once the estimate fits.
  let estimate = byteLength(build(withInput));
  for (const largest of bySizeDescending) {
    if (estimate <= MAX_JSON_BYTES && jsonPayloadProblem(build(withInput)) === undefined) break;
    kept.delete(largest.name);
    omitted.push(largest.name);
    estimate -= largest.bytes;
  }
  return build(withInput);
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}
