import { memoryEngine } from '../support/engines.ts';
import { failureScenarios } from '../support/scenarios/failure-semantics.ts';

/** Failure semantics' main paths on the in-memory engine. The DynamoDB twin: tests/integration/failure-semantics.test.ts. */
failureScenarios(() => memoryEngine());
