import type { LocalResources } from '../../local/create-resources.ts';

/**
 * What the global setup hands every test file through `inject('tributary')`:
 * the emulators started once for the whole run, and a table and queues on them.
 */
export interface TestEmulators extends LocalResources {
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** s3rver (path-style addressing), for map items: see `s3Client()` and `createTestBucket()`. */
  readonly s3Endpoint: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Absent when the emulators could not start (no Java); see `tributaryUnavailable`. */
    tributary: TestEmulators;
    /** Why the emulators are missing, or null when they run. */
    tributaryUnavailable: string | null;
  }
}
