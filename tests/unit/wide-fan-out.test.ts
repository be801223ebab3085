import { memoryEngine } from '../support/engines.ts';
import { wideFanOutScenarios } from '../support/scenarios/wide-fan-out.ts';

/** Fan-outs, roots and cancellations wider than one call's budget, on the in-memory engine. */
wideFanOutScenarios(() => memoryEngine());
