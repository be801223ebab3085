import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';
import s3rverAccounts from 's3rver/lib/models/account.js';

export interface S3EmulatorOptions {
  /** 0 picks a free one. */
  readonly port: number;
  readonly hostname: string;
  /** Where the buckets and objects are kept (created if missing). */
  readonly directory: string;
  /** Access key ids the emulator accepts besides its own (`S3RVER`). */
  readonly accessKeyIds: readonly string[];
}

export interface RunningS3Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts s3rver in this process. s3rver checks that a request's access key is one it knows, though not its SigV4
 * signature: the keys the local stack signs with (its dummy ones, or the developer's) are added to its account, so
 * that the handlers, the tests and the aws CLI reach it with the same credentials as DynamoDB Local and SQS.
 *
 * @example
 * const s3 = await startS3Emulator({ port: 0, hostname: '127.0.0.1', directory: '/tmp/s3', accessKeyIds: ['local'] });
 * await s3.stop();
 */
export async function startS3Emulator(options: S3EmulatorOptions): Promise<RunningS3Emulator> {
  await mkdir(options.directory, { recursive: true });
  for (const id of options.accessKeyIds) s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(id, id);
  const server = new S3rver({ port: options.port, address: options.hostname, silent: true, directory: options.directory });
  const { port } = await server.run();
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${options.hostname}:${port}`,
    stop: () =>
      (stopped ??= (async () => {
        const closed = server.close();
        // Keep-alive connections of the SDK clients would otherwise hold the server open.
        server.httpServer?.closeAllConnections();
        await closed;
      })()),
  };
}
