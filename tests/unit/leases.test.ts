import { memoryEngine } from '../support/engines.ts';
import { leaseScenarios } from '../support/scenarios/leases.ts';

/** I4 fenced leases on the in-memory engine. The DynamoDB twin: tests/integration/leases.test.ts. */
leaseScenarios(() => memoryEngine());
