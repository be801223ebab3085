import { routeGroupHandler } from '#http/route-group-handler.ts';
import { handler as claimTask } from './claim-task.ts';
import { handler as completeTask } from './complete-task.ts';
import { handler as failTask } from './fail-task.ts';
import { handler as heartbeatTask } from './heartbeat-task.ts';
import { handler as releaseTask } from './release-task.ts';

/** The `worker` function: claim, heartbeat, complete, fail and release. */
export const handler = routeGroupHandler('worker', {
  ClaimTask: claimTask,
  HeartbeatTask: heartbeatTask,
  CompleteTask: completeTask,
  FailTask: failTask,
  ReleaseTask: releaseTask,
});
