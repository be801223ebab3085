import { memoryEngine } from '../support/engines.ts';
import { compensationScenarios } from '../support/scenarios/compensation.ts';

/** Compensation (issue 8, part 5) on the in-memory engine. The DynamoDB twin: tests/integration/compensation.test.ts. */
compensationScenarios(() => memoryEngine());
