import { routeGroupHandler } from '#http/route-group-handler.ts';
import { handler as cancelProcess } from './cancel-process.ts';
import { handler as putDefinition } from './put-definition.ts';
import { handler as startProcess } from './start-process.ts';

/** The `control` function: definitions, starting and cancelling processes. */
export const handler = routeGroupHandler('control', {
  PutDefinition: putDefinition,
  StartProcess: startProcess,
  CancelProcess: cancelProcess,
});
