import { dynamoEngine } from '../support/engines.ts';
import { processLifecycleScenarios } from '../support/scenarios/process-lifecycle.ts';

/** The lifecycle of a process on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/process-lifecycle.test.ts. */
processLifecycleScenarios(() => dynamoEngine('lifecycle'));
