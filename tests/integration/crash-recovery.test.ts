import { dynamoEngine } from '../support/engines.ts';
import { crashRecoveryScenarios } from '../support/scenarios/crash-recovery.ts';

/** I3 on DynamoDB Local and the SQS emulator: a crash at every AWS call boundary. The in-memory twin: tests/unit/crash-recovery.test.ts. */
crashRecoveryScenarios(() => dynamoEngine('crash'));
