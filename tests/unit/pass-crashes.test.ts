import { memoryEngine } from '../support/engines.ts';
import { passCrashScenarios } from '../support/scenarios/pass-crashes.ts';

/** Every pass crashed at every call boundary, on the in-memory engine. The DynamoDB twin: tests/integration/pass-crashes.test.ts. */
passCrashScenarios(() => memoryEngine());
