import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { CliError } from './cli-error.ts';

/** Aligned columns with a header row; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `1.2s`, `3m04s`, `2h05m`: short enough for a table column. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Time between two ISO instants, or from `from` until now. */
export function between(from: string | undefined, to: string | undefined, now: number = Date.now()): string {
  if (!from) return '';
  return duration((to ? Date.parse(to) : now) - Date.parse(from));
}

/** `[██████░░░░]  60% (3/5)` */
export function progressBar(completed: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : completed / total;
  const filled = Math.round(ratio * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% (${completed}/${total})`;
}

/**
 * A JSON value from an option: the text itself, or `@path` for a file's content.
 *
 * @example
 * jsonArgument('{"amount":1}', '--input')   // { amount: 1 }
 * jsonArgument('@input.json', '--input')    // the file's JSON
 */
export function jsonArgument(raw: string, option: string): unknown {
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readFileSync(raw.slice(1), 'utf8');
    } catch (e) {
      throw new CliError(`${option}: cannot read ${raw.slice(1)}: ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CliError(`${option} is not valid JSON: ${(e as Error).message}`);
  }
}

/** A positive integer option, e.g. --limit or --version. */
export function positiveInt(option: string, min = 1, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${option} must be an integer from ${min} to ${max}.`);
    return n;
  };
}

/** Prints a value as indented JSON, for `--json`. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
