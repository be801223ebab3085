import { dynamoEngine } from '../support/engines.ts';
import { pauseResumeScenarios } from '../support/scenarios/pause-resume.ts';

/** Pause and resume on DynamoDB Local and the SQS emulator. The in-memory twin: tests/unit/pause-resume.test.ts. */
pauseResumeScenarios(() => dynamoEngine('pause-resume'));
