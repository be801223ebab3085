import { defineConfig } from 'vitest/config';

/**
 * One run starts the emulators once (global setup) and hands their endpoints
 * to every file through `inject('tributary')`. Each file runs in its own
 * process (forks), so the handler environment one file sets in `process.env`
 * never leaks into another.
 */
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    setupFiles: ['tests/support/handler-env-setup.ts'],
    pool: 'forks',
    // Integration tests make real DynamoDB and SQS calls; the emulators are slower than AWS.
    testTimeout: 30_000,
    // Hooks may start a local stack, JVM included.
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
