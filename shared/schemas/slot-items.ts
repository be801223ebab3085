import { z } from 'zod';

/**
 * A slot of a task limit as stored (`POOL#<hash>` / `S#<key hash>#<n>` or
 * `R#…`, see `shared/adapters/stores/slot-keys.ts`): a lease, held when it
 * has a token and an expiry in the future. Parsed, never cast.
 */
export const SlotItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  definition: z.string(),
  /** The declared task whose pool this is. */
  declared: z.string(),
  key: z.string(),
  limit: z.number().int().positive(),
  leaseToken: z.string().optional(),
  /** When the holder's lease (or, for a rate slot, the start's window) runs out (epoch ms). */
  leaseExpiresAt: z.number().optional(),
  processId: z.string().optional(),
  /** The holding task (a concurrency slot). */
  task: z.string().optional(),
  takenAt: z.string().optional(),
  startedAt: z.string().optional(),
  timeoutMs: z.number().int().positive().optional(),
});
export type SlotItem = z.infer<typeof SlotItemSchema>;

/** The slot's number within its key's pool (the last part of its sort key). */
export function slotNumberOf(item: Pick<SlotItem, 'sk'>): number {
  return Number(item.sk.slice(item.sk.lastIndexOf('#') + 1));
}

/**
 * An entry of a concurrency key's wait list (`POOL#<hash>` / `W#<key hash>#<scheduledAt>#<task hash>`): a task
 * whose claim found no free slot, in the order its task was scheduled. Parsed, never cast.
 */
export const SlotWaiterItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  processId: z.string(),
  task: z.string(),
  /** The task's `scheduledAt` when it waited: a task scheduled again since (a retry, a release) left this entry behind. */
  scheduledAt: z.string(),
});
export type SlotWaiterItem = z.infer<typeof SlotWaiterItemSchema>;
