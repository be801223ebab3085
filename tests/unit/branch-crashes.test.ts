import { memoryEngine } from '../support/engines.ts';
import { branchCrashScenarios } from '../support/scenarios/branch-crashes.ts';

/** I3 for branches on the in-memory engine: a crash at every call boundary of the skip path. The DynamoDB twin: tests/integration/branch-crashes.test.ts. */
branchCrashScenarios(() => memoryEngine());
