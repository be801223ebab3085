import type { RouteGroup } from '#config/routes.ts';

/** What one Tributary function may do with the table and the work queues. */
export interface FunctionAccess {
  /** DynamoDB actions on the table and its named indexes. */
  readonly tableActions: readonly string[];
  /** Whether it sends task messages to the work queues. */
  readonly sendMessages: boolean;
}

const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];

/**
 * Least privilege per function: exactly the DynamoDB actions (transactions are
 * authorized per item as PutItem, UpdateItem and ConditionCheckItem) and SQS
 * sends that the function's code issues. No Scan and no table management
 * anywhere. The one delete is `maxParallel`'s: a waiter leaves its process's
 * wait list (a conditional DeleteItem), wherever a scheduling pass or a
 * follow-up dispatches waiters. `tests/infra/function-access.test.ts` records the
 * commands each group's handlers issue against the emulators and compares.
 */
export type FunctionAccessName = RouteGroup | 'sweeper' | 'scheduler' | 'startQueue';

export const FUNCTION_ACCESS: Readonly<Record<FunctionAccessName, FunctionAccess>> = {
  health: { tableActions: [], sendMessages: false },
  read: { tableActions: READ, sendMessages: false },
  control: { tableActions: [...READ, 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], sendMessages: true },
  worker: { tableActions: [...READ, 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], sendMessages: true },
  sweeper: { tableActions: [...READ, 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], sendMessages: true },
  // A fire starts a process, whose roots' messages go to the work queues, as POST /processes does.
  scheduler: { tableActions: [...READ, 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], sendMessages: true },
  startQueue: { tableActions: [...READ, 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], sendMessages: true },
};

/**
 * The functions whose code may expand a map, and so read its items from S3 (`itemsFrom`): the control routes (a
 * start or a rerun schedules roots), the worker routes (an ending task schedules its children) and the sweeper
 * (it finishes what a call left). `grantMapItems` grants each of them read on a bucket.
 */
export const MAP_ITEM_READERS = ['control', 'worker', 'sweeper'] as const satisfies readonly (RouteGroup | 'sweeper')[];
