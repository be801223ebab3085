import { dynamoEngine } from '../support/engines.ts';
import { leaseScenarios } from '../support/scenarios/leases.ts';

/** I4 fenced leases on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/leases.test.ts. */
leaseScenarios(() => dynamoEngine('leases'));
