import { memoryEngine } from '../support/engines.ts';
import { pauseResumeScenarios } from '../support/scenarios/pause-resume.ts';

/** Pause and resume on the in-memory engine. The DynamoDB twin: tests/integration/pause-resume.test.ts. */
pauseResumeScenarios(() => memoryEngine());
