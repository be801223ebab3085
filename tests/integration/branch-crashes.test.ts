import { dynamoEngine } from '../support/engines.ts';
import { branchCrashScenarios } from '../support/scenarios/branch-crashes.ts';

/** I3 for branches on DynamoDB Local and the SQS emulator: a crash at every AWS call boundary of the skip path. The in-memory twin: tests/unit/branch-crashes.test.ts. */
branchCrashScenarios(() => dynamoEngine('branch-crash'));
