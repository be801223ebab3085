import { dynamoEngine } from '../support/engines.ts';
import { passCrashScenarios } from '../support/scenarios/pass-crashes.ts';

/** Every pass crashed at every call boundary, on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/pass-crashes.test.ts. */
passCrashScenarios(() => dynamoEngine('pass-crashes'));
