import { memoryEngine } from '../support/engines.ts';
import { exactlyOnceScenarios } from '../support/scenarios/exactly-once.ts';

/** I2 exactly-once scheduling on the in-memory engine. The DynamoDB twin: tests/integration/exactly-once.test.ts. */
exactlyOnceScenarios(() => memoryEngine());
