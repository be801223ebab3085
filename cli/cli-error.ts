import { TributaryApiError, TributaryNetworkError, TributaryResponseError } from '../client/errors.ts';

/** A usage or input problem found by the CLI itself: printed as `error: <message>`, exit code 1. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, options?: ErrorOptions & { exitCode?: number }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? 1;
  }
}

/**
 * What the user sees for a failure: the API's code and message (and each
 * problem of its details), or a one-line reason; never a stack trace unless
 * TRIBUTARY_DEBUG is set. Returns the exit code.
 */
export function reportError(error: unknown, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  if (process.env.TRIBUTARY_DEBUG) write(String((error as Error)?.stack ?? error));
  if (error instanceof TributaryApiError) {
    write(`error: ${error.code} (${error.status}): ${error.message}`);
    if (Array.isArray(error.details)) {
      for (const d of error.details as { path?: string; message?: string; line?: number; column?: number }[]) {
        const at = d.line === undefined ? (d.path ?? '') : `line ${d.line}, column ${d.column ?? 1}${d.path ? ` (${d.path})` : ''}`;
        write(`  - ${at ? `${at}: ` : ''}${d.message ?? JSON.stringify(d)}`);
      }
    }
    return 1;
  }
  if (error instanceof TributaryNetworkError) {
    write(`error: cannot reach the API: ${error.message}`);
    write('  Is the stack running? Start it with `npx tributary dev`, or point --url / TRIBUTARY_URL at a deployed API.');
    return 1;
  }
  if (error instanceof TributaryResponseError) {
    write(`error: unexpected answer from the API: ${error.message}`);
    return 1;
  }
  if (error instanceof CliError) {
    write(`error: ${error.message}`);
    return error.exitCode;
  }
  write(`error: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}
