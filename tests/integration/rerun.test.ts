import { dynamoEngine } from '../support/engines.ts';
import { rerunScenarios } from '../support/scenarios/rerun.ts';

/** Operator controls, rerun, on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/rerun.test.ts. */
rerunScenarios(() => dynamoEngine('rerun'));
