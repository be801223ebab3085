import { routeGroupHandler } from '#http/route-group-handler.ts';
import { handler as cancelProcess } from './cancel-process.ts';
import { handler as pauseProcess } from './pause-process.ts';
import { handler as putDefinition } from './put-definition.ts';
import { handler as rerunProcess } from './rerun-process.ts';
import { handler as rerunProcesses } from './rerun-processes.ts';
import { handler as resumeProcess } from './resume-process.ts';
import { handler as startProcess } from './start-process.ts';

/** The `control` function: definitions, starting, cancelling, pausing, resuming and rerunning processes. */
export const handler = routeGroupHandler('control', {
  PutDefinition: putDefinition,
  StartProcess: startProcess,
  CancelProcess: cancelProcess,
  RerunProcess: rerunProcess,
  RerunProcesses: rerunProcesses,
  PauseProcess: pauseProcess,
  ResumeProcess: resumeProcess,
});
