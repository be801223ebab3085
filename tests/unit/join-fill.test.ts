import { memoryEngine } from '../support/engines.ts';
import { joinFillScenarios } from '../support/scenarios/join-fill.ts';

/** Only the parent that fills a small join schedules it, on the in-memory engine. The DynamoDB twin: tests/integration/join-fill.test.ts. */
joinFillScenarios(() => memoryEngine());
