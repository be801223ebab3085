import { memoryEngine } from '../support/engines.ts';
import { optimisticLockScenarios } from '../support/scenarios/conditional-writes.ts';

/**
 * I1 on the in-memory engine: racing process ends leave exactly one change.
 * That every DynamoDB write carries a condition expression is checked on
 * DynamoDB Local only (tests/integration/conditional-writes.test.ts).
 */
optimisticLockScenarios(() => memoryEngine());
