/**
 * Test your workflows without the stack: `createTestEngine()` runs the real
 * handlers and use cases on in-memory adapters with a virtual clock.
 *
 * @example
 * import { createTestEngine } from 'tributary/testing';
 */
export { createTestEngine, InjectedCrashError, type IdleReport, type TestEngine, type TestEngineOptions, type TestWorkerOptions } from './test-engine.ts';
