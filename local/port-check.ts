import { createServer } from 'node:net';

/** A port the local stack needs is taken: named, with the variable that moves it. */
export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  readonly port: number;
  readonly what: string;
  constructor(what: string, port: number, variable: string, options?: ErrorOptions) {
    super(`${what} port ${port} is already in use (another \`npm start\`?). Stop that process, or pick another port: ${variable}=${port === 3200 ? 3201 : 3200} npm start`, options);
    this.name = 'PortInUseError';
    this.port = port;
    this.what = what;
  }
}

/**
 * Checks that each fixed port can be bound, before anything slow starts: a
 * taken port is reported in milliseconds instead of after the JVM has booted.
 * Port 0 (any free port) is skipped.
 */
export async function assertPortsFree(hostname: string, ports: readonly { what: string; port: number; variable: string }[]): Promise<void> {
  for (const { what, port, variable } of ports) {
    if (port === 0) continue;
    const probe = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(port, hostname, () => resolve());
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' || (error as NodeJS.ErrnoException).code === 'EACCES') {
        throw new PortInUseError(what, port, variable, { cause: error });
      }
      throw error;
    } finally {
      await new Promise<void>((resolve) => (probe.listening ? probe.close(() => resolve()) : resolve()));
    }
  }
}
