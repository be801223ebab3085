import { dynamoEngine } from '../support/engines.ts';
import { joinFillScenarios } from '../support/scenarios/join-fill.ts';

/** Only the parent that fills a small join schedules it, on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/join-fill.test.ts. */
joinFillScenarios(() => dynamoEngine('join-fill'));
