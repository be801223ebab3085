import { defineConfig } from 'vitest/config';

const shared = {
  pool: 'forks' as const,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
};

/**
 * Two projects. `unit` needs no emulator: the domain, the use cases on the
 * in-memory engine, the test engine, and error paths with mocked clients
 * (`npm run test:unit`, no Java). `integration` starts DynamoDB Local and the
 * SQS emulator once (global setup) and hands their endpoints to every file
 * through `inject('tributary')`. `npm test` runs both. Each file runs in its
 * own process (forks), so the handler environment one file sets in
 * `process.env` never leaks into another.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['tests/unit/**/*.test.ts', 'examples/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/unit/**'],
          globalSetup: ['tests/support/global-setup.ts'],
          setupFiles: ['tests/support/handler-env-setup.ts'],
          // Integration tests make real DynamoDB and SQS calls; the emulators are slower than AWS.
          testTimeout: 30_000,
          // Hooks may start a local stack, JVM included.
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
