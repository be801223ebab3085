import { memoryEngine } from '../support/engines.ts';
import { retentionScenarios } from '../support/scenarios/retention.ts';

/** Retention (TTL on every item a process leaves), on the in-memory engine. */
retentionScenarios(() => memoryEngine());
