import type { TestProject } from 'vitest/node';
import { createResources } from '../../local/create-resources.ts';
import { JavaNotAvailableError, startEmulators } from '../../local/emulators.ts';
import './provided-context.ts';

/** The table and queue prefix shared by test files that do not ask for their own. */
export const SHARED_TABLE = 'tributary-test';
export const SHARED_QUEUE_PREFIX = 'tributary-test-';

/**
 * Starts DynamoDB Local, the SQS emulator and s3rver once per `vitest run` (2-4 s,
 * mostly the JVM) and provides their endpoints to every test file. The
 * `AWS_ENDPOINT_URL*` overrides work here too, to test against services
 * already running.
 *
 * Without Java the run goes on: unit tests never touch the emulators, and
 * whatever test asks for them fails with the install instructions.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let emulators;
  try {
    emulators = await startEmulators();
  } catch (error) {
    if (!(error instanceof JavaNotAvailableError)) throw error;
    console.warn(`[tributary] emulators not started; integration tests will fail.\n${error.message}`);
    project.provide('tributaryUnavailable', error.message);
    return undefined;
  }
  try {
    const { region, dynamodbEndpoint, sqsEndpoint, s3Endpoint } = emulators;
    const resources = await createResources({ region, dynamodbEndpoint, sqsEndpoint, tableName: SHARED_TABLE, queuePrefix: SHARED_QUEUE_PREFIX });
    project.provide('tributary', { region, dynamodbEndpoint, sqsEndpoint, s3Endpoint, ...resources });
    project.provide('tributaryUnavailable', null);
  } catch (error) {
    await emulators.stop();
    throw error;
  }
  return () => emulators.stop();
}
