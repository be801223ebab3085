import { dynamoEngine } from '../support/engines.ts';
import { passCrashScenarios } from '../support/scenarios/pass-crashes.ts';

/**
 * Every pass crashed at call boundaries, on DynamoDB Local and the SQS emulator: every fourth boundary and the last
 * (the in-memory twin, tests/unit/pass-crashes.test.ts, crashes at every one).
 */
passCrashScenarios(() => dynamoEngine('pass-crashes'), { stride: 4 });
