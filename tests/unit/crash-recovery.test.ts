import { memoryEngine } from '../support/engines.ts';
import { crashRecoveryScenarios } from '../support/scenarios/crash-recovery.ts';

/** I3 on the in-memory engine: a crash at every store call and queue send boundary. The DynamoDB twin: tests/integration/crash-recovery.test.ts. */
crashRecoveryScenarios(() => memoryEngine());
