import { randomBytes } from 'node:crypto';
import { handlerEnv } from '../../local/aws-env.ts';
import type { QueueSettings } from '#config/queues.ts';
import { createResources, type LocalResources } from '../../local/create-resources.ts';
import { testEmulators } from './clients.ts';

/**
 * Creates a table and queues of this test file's own on the shared emulators,
 * so that files running in parallel never see each other's items or messages.
 * Names are `tributary-<label>-<random>` (table) and `tributary-<label>-<random>-<queue>` (queues).
 *
 * @example
 * let resources: LocalResources;
 * beforeAll(async () => { resources = await createIsolatedResources('claims'); });
 */
export async function createIsolatedResources(label = 'test', queues?: Readonly<Record<string, QueueSettings>>): Promise<LocalResources> {
  const { region, dynamodbEndpoint, sqsEndpoint } = testEmulators();
  // SQS names are at most 80 characters: keep room for the queue name and `-dlq`.
  const safe = label.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 16);
  const base = `tributary-${safe}-${randomBytes(4).toString('hex')}`;
  return createResources({ region, dynamodbEndpoint, sqsEndpoint, tableName: base, queuePrefix: `${base}-`, ...(queues ? { queues } : {}) });
}

/** The handler environment for `resources` (default: the shared test table and queues). */
export function testHandlerEnv(resources: LocalResources = testEmulators()): Record<string, string> {
  const { region, dynamodbEndpoint, sqsEndpoint, s3Endpoint } = testEmulators();
  return handlerEnv({ region, dynamodbEndpoint, sqsEndpoint, s3Endpoint, tableName: resources.tableName, queues: resources.queues });
}

/**
 * Points `process.env` at `resources`. Handlers read their environment at
 * module load, so call this before the first (dynamic) import of a handler.
 */
export function useHandlerEnv(resources?: LocalResources): void {
  Object.assign(process.env, testHandlerEnv(resources));
}
