import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { InvalidDefinitionError, type ProblemDetail } from '#domain/errors.ts';
import type { PathSegment } from '#schemas/definition-schema.ts';

/** Maps a problem's path onto the 1-based line and column where it starts in the source, if known. */
export type Locate = (at: readonly PathSegment[]) => { line: number; column: number } | undefined;

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
  return { value, locate: (at) => locateInYaml(doc, lineCounter, at) };
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
function locateInYaml(doc: Document, lineCounter: LineCounter, at: readonly PathSegment[]): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
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
  }
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
