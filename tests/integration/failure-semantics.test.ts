import { dynamoEngine } from '../support/engines.ts';
import { failureScenarios } from '../support/scenarios/failure-semantics.ts';

/** Failure semantics' main paths on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/failure-scenarios.test.ts. */
failureScenarios(() => dynamoEngine('failures'));
