import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where a persistent local stack notes the pid of its DynamoDB Local JVM. */
export function dynamoDbPidFile(dataDir: string): string {
  return join(dataDir, 'dynamodb-local.pid');
}

/** Notes the JVM and the stack that owns it: `<jvm pid> <owner pid>`. */
export async function writeDynamoDbPid(dataDir: string, pid: number | undefined): Promise<void> {
  if (pid !== undefined) await writeFile(dynamoDbPidFile(dataDir), `${pid} ${process.pid}\n`);
}

/** Another local stack is running on the same data directory. */
export class DataDirInUseError extends Error {
  constructor(dataDir: string, owner: number, options?: ErrorOptions) {
    super(`another local stack (pid ${owner}) is using ${dataDir}. Stop it first, or start this one with TRIBUTARY_IN_MEMORY=1`, options);
    this.name = 'DataDirInUseError';
  }
}

export async function removeDynamoDbPid(dataDir: string): Promise<void> {
  await rm(dynamoDbPidFile(dataDir), { force: true });
}

/**
 * Stops a DynamoDB Local that a killed stack left behind on the same data
 * directory. A stack stopped with SIGKILL cannot stop its JVM child, which
 * would keep the port and the database files; the next start would then fail
 * with "port in use". Only a process whose command line is DynamoDB Local's is
 * touched, so a recycled pid is left alone. Returns the pid stopped, if any.
 */
export async function stopStaleDynamoDb(dataDir: string): Promise<number | undefined> {
  let pid: number;
  let owner: number;
  try {
    [pid, owner] = (await readFile(dynamoDbPidFile(dataDir), 'utf8')).trim().split(/\s+/).map(Number) as [number, number];
  } catch {
    return undefined;
  }
  // Its stack is alive: the JVM is not stale, and two stacks must not share the files.
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) throw new DataDirInUseError(dataDir, owner);
  if (!Number.isInteger(pid) || pid <= 0 || !(await isDynamoDbLocal(pid))) {
    await removeDynamoDbPid(dataDir);
    return undefined;
  }
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  await removeDynamoDbPid(dataDir);
  return pid;
}

async function isDynamoDbLocal(pid: number): Promise<boolean> {
  if (!alive(pid)) return false;
  try {
    const { stdout } = await run('ps', ['-p', String(pid), '-o', 'command=']);
    return stdout.includes('DynamoDBLocal');
  } catch {
    return false;
  }
}

/** Whether `pid` runs. A zombie (exited, not yet reaped by its new parent) does not. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Linux: the state follows the command name in parentheses; Z is a zombie.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
