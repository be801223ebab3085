import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type YAMLError } from 'yaml';
import { InvalidDefinitionError, type ProblemDetail } from '#domain/errors.ts';
import type { PathSegment } from '#schemas/definition-schema.ts';

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Maps a problem's path onto the 1-based line and column where it starts in
 * the source, if known. With `within` (a position inside the text of the
 * scalar the path names, such as a problem of a CEL expression), the answer
 * is that position in the document, where it can be computed: plain and
 * quoted one-line scalars, the lines of a literal block (`|`) and the first
 * line of a folded one (`>`); else the scalar's own start.
 */
export type Locate = (at: readonly PathSegment[], within?: Position) => Position | undefined;

/**
 * Text to a plain value. JSON is YAML (the yaml package reads it as such), so
 * one parser gives source positions for both. For text that looks like JSON
 * and fails, JSON's own error is reported, since that is what the author meant
 * to write. Valid JSON that YAML still rejects is, in practice, JSON with
 * duplicate keys: the YAML errors are reported rather than silently keeping
 * the last value as JSON.parse would.
 */
export function decodeDefinitionText(text: string): { value: unknown; locate?: Locate } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter });
  if (doc.errors.length > 0) {
    if (/^\s*[[{]/.test(text)) assertJson(text, doc.errors);
    throw new InvalidDefinitionError(doc.errors.map(yamlProblem));
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // e.g. too many aliases: the yaml package's guard against a "billion laughs" document.
    throw new InvalidDefinitionError([{ message: `YAML could not be read: ${(error as Error).message}` }], { cause: error });
  }
  return { value, locate: (at, within) => locateInYaml(doc, lineCounter, at, within === undefined ? undefined : { text, position: within }) };
}

function yamlProblem(error: YAMLError): ProblemDetail {
  const start = error.linePos?.[0];
  const position = start === undefined ? {} : { line: start.line, column: start.col };
  if (error.code === 'MULTIPLE_DOCS') {
    return { message: 'a definition must be a single YAML document, but another one starts here', ...position };
  }
  if (error.code === 'DUPLICATE_KEY') return { message: 'duplicate key: keys of a mapping must be unique', ...position };
  // prettyErrors appends a source excerpt after the first line; line and column already locate it.
  return { message: `invalid YAML: ${(error.message.split('\n')[0] ?? '').replace(/:$/, '')}`, ...position };
}

/** Throws JSON's own syntax error, located, when `text` is not valid JSON. */
function assertJson(text: string, yamlErrors: readonly YAMLError[]): void {
  try {
    JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    // V8 gives an offset for some errors only; otherwise the YAML parser's first error is the best guess.
    const offset = /at position (\d+)/.exec(message)?.[1];
    const start = yamlErrors[0]?.linePos?.[0];
    const position = offset === undefined ? start && { line: start.line, column: start.col } : positionOf(text, Number(offset));
    throw new InvalidDefinitionError([{ message: `invalid JSON: ${message}`, ...position }], { cause: error });
  }
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** Where the node a path names starts: the key for a mapping entry, the item for a list entry; else the nearest ancestor. */
function locateInYaml(doc: Document, lineCounter: LineCounter, at: readonly PathSegment[], within?: { text: string; position: Position }): Position | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  let found = 0;
  for (const segment of at) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) break;
      if (isNode(pair.key)) offset = pair.key.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (!isNode(node)) break;
      offset = node.range?.[0] ?? offset;
    } else {
      break;
    }
    found += 1;
  }
  if (within !== undefined && found === at.length && isScalar(node) && node.range !== undefined) {
    return positionInScalar(within.text, lineCounter, node, within.position);
  }
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** Where a position inside a scalar's value lies in the document; the scalar's start when that cannot be computed. */
function positionInScalar(text: string, lineCounter: LineCounter, scalar: Scalar, within: Position): Position {
  const [start, end] = scalar.range ?? [0, 0];
  const raw = text.slice(start, end);
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const oneLine = within.line === 1 && !raw.includes('\n');
  switch (scalar.type) {
    case Scalar.PLAIN:
      return oneLine ? at(start + within.column - 1) : at(start);
    case Scalar.QUOTE_SINGLE:
    case Scalar.QUOTE_DOUBLE: {
      const offset = oneLine ? rawOffsetInQuoted(raw, scalar.type === Scalar.QUOTE_DOUBLE, within.column - 1) : undefined;
      return at(offset === undefined ? start : start + offset);
    }
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED: {
      // A folded block joins its lines: only its first line maps one to one.
      if (scalar.type === Scalar.BLOCK_FOLDED && within.line !== 1) return at(start);
      const [header = '', ...content] = raw.split('\n');
      const firstLine = content.find((l) => l.trim() !== '') ?? '';
      const line = content[within.line - 1];
      // An explicit indentation indicator (`|2`) is rare: fall back rather than compute it.
      if (/\d/.test(header) || line === undefined) return at(start);
      const indent = firstLine.length - firstLine.trimStart().length;
      if (scalar.type === Scalar.BLOCK_FOLDED && within.column - 1 > line.length - indent) return at(start);
      return { line: at(start).line + within.line, column: indent + within.column };
    }
    default:
      return at(start);
  }
}

/** The offset in a one-line quoted scalar's source (quote included) of the value's `index`-th character. */
function rawOffsetInQuoted(raw: string, double: boolean, index: number): number | undefined {
  let r = 1;
  for (let v = 0; v < index; v++) {
    if (r >= raw.length - 1) return undefined;
    if (double && raw[r] === '\\') {
      const kind = raw[r + 1];
      r += kind === 'x' ? 4 : kind === 'u' ? 6 : kind === 'U' ? 10 : 2;
    } else {
      r += !double && raw[r] === "'" && raw[r + 1] === "'" ? 2 : 1;
    }
  }
  return r;
}
