import { dynamoEngine } from '../support/engines.ts';
import { retentionScenarios } from '../support/scenarios/retention.ts';

/** Retention (TTL on every item a process leaves) on DynamoDB Local. The in-memory twin: tests/unit/retention.test.ts. */
retentionScenarios(() => dynamoEngine('retention'));
