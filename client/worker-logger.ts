/** Where a {@link Worker} reports what it does. Each method takes a message and structured fields. */
export interface WorkerLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One JSON line per event on stderr (stdout stays free for the program's own
 * output); debug lines are dropped. The default logger of a worker.
 *
 * @example
 * new Worker({ ...options, logger: jsonLogger });
 */
export const jsonLogger: WorkerLogger = {
  debug: () => undefined,
  info: (message, fields) => console.error(JSON.stringify({ level: 'INFO', message, ...fields })),
  warn: (message, fields) => console.error(JSON.stringify({ level: 'WARN', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'ERROR', message, ...fields })),
};

/** Drops everything; for tests. */
export const silentLogger: WorkerLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** An error as log fields, without losing its code or status. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const { code, status } = error as { code?: unknown; status?: unknown };
  return { error: error.message, errorName: error.name, ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status }) };
}
