import { memoryEngine } from '../support/engines.ts';
import { processLifecycleScenarios } from '../support/scenarios/process-lifecycle.ts';

/** The lifecycle of a process, on the in-memory engine. */
processLifecycleScenarios(() => memoryEngine());
