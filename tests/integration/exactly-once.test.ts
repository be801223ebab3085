import { dynamoEngine } from '../support/engines.ts';
import { exactlyOnceScenarios } from '../support/scenarios/exactly-once.ts';

/** I2 exactly-once scheduling on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/exactly-once.test.ts. */
exactlyOnceScenarios(() => dynamoEngine('exactly-once'));
