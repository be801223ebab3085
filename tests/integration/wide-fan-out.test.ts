import { dynamoEngine } from '../support/engines.ts';
import { wideFanOutScenarios } from '../support/scenarios/wide-fan-out.ts';

/** Work wider than one call's budget, on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/wide-fan-out.test.ts. */
wideFanOutScenarios(() => dynamoEngine('wide-fan-out'));
