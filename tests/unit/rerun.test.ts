import { memoryEngine } from '../support/engines.ts';
import { rerunScenarios } from '../support/scenarios/rerun.ts';

/** Operator controls, rerun, on the in-memory engine. The DynamoDB twin: tests/integration/rerun.test.ts. */
rerunScenarios(() => memoryEngine());
