import { dynamoEngine } from '../support/engines.ts';
import { compensationScenarios } from '../support/scenarios/compensation.ts';

/** Compensation (issue 8, part 5) on DynamoDB Local and the SQS emulator: a crash at every AWS call boundary. The in-memory twin: tests/unit/compensation.test.ts. */
compensationScenarios(() => dynamoEngine('compensation'));
