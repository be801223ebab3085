import { execFile } from 'node:child_process';

/** The oldest Java that the bundled DynamoDB Local 3.x runs on. */
export const MIN_JAVA_MAJOR = 17;

const INSTALL_HINT = [
  `DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+ on the PATH. Install it with one of:`,
  '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless',
  '  macOS:         brew install openjdk@17   (or: brew install --cask temurin)',
  '  Other:         https://adoptium.net/temurin/releases/',
  'Or point AWS_ENDPOINT_URL_DYNAMODB at a DynamoDB you already run, and no JVM is started.',
].join('\n');

/** Java is missing or too old to run DynamoDB Local. The message says how to fix it. */
export class JavaNotAvailableError extends Error {
  /** The major version found, when Java runs but is too old. */
  readonly foundMajor: number | undefined;

  constructor(reason: string, foundMajor?: number, options?: ErrorOptions) {
    super(`${reason}\n${INSTALL_HINT}`, options);
    this.name = 'JavaNotAvailableError';
    this.foundMajor = foundMajor;
  }
}

/**
 * Parses the major version out of `java -version` output, which goes to stderr
 * and looks like `openjdk version "17.0.15" 2025-04-15` or, before Java 9,
 * `java version "1.8.0_392"`.
 */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/**
 * Checks that `java -version` runs and reports Java 17 or newer. Done before
 * spawning DynamoDB Local, whose own failure would be a bare ENOENT or a
 * class-version stack trace.
 *
 * @throws JavaNotAvailableError
 */
export async function assertJavaAvailable(command = 'java'): Promise<void> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(command, ['-version'], { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) reject(new JavaNotAvailableError(`'${command} -version' failed: ${error.message}`, undefined, { cause: error }));
      else resolve(`${stderr}${stdout}`);
    });
  });
  const major = parseJavaMajor(output);
  // An unrecognised banner is let through: the JVM itself reports a real incompatibility.
  if (major !== undefined && major < MIN_JAVA_MAJOR) {
    throw new JavaNotAvailableError(`found Java ${major}, but Java ${MIN_JAVA_MAJOR}+ is required.`, major);
  }
}
