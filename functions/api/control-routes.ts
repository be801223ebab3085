import { routeGroupHandler } from '#http/route-group-handler.ts';
import { handler as cancelProcess } from './cancel-process.ts';
import { handler as pauseProcess } from './pause-process.ts';
import { handler as putDefinition } from './put-definition.ts';
import { handler as resumeProcess } from './resume-process.ts';
import { handler as startProcess } from './start-process.ts';

/** The `control` function: definitions, starting, cancelling, pausing and resuming processes. */
export const handler = routeGroupHandler('control', {
  PutDefinition: putDefinition,
  StartProcess: startProcess,
  CancelProcess: cancelProcess,
  PauseProcess: pauseProcess,
  ResumeProcess: resumeProcess,
});
