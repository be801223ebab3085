/**
 * One-line JSON logs for the local stack, in the same shape the handlers use
 * (`{"level","message",...}`), so that local output reads like CloudWatch.
 */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Where local components write their log lines; injectable so tests stay quiet. */
export type LocalLogger = (level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>) => void;

/** Writes one JSON line to stderr, keeping stdout free for what the CLI prints on purpose. */
export const consoleLogger: LocalLogger = (level, message, fields = {}) => {
  console.error(JSON.stringify({ level, message, ...fields }));
};

/** A logger that drops everything. */
export const silentLogger: LocalLogger = () => {};

/** Flattens an unknown thrown value into loggable fields without losing the stack. */
export function errorFields(error: unknown): { error: Record<string, unknown> | string } {
  if (error instanceof Error) return { error: { name: error.name, message: error.message, stack: error.stack } };
  return { error: String(error) };
}
