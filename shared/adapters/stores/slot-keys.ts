import { SLOT_WRITES, slotGuards, TASK_TRANSITIONS, type SlotEvent, type TaskEvent } from '#domain/lifecycle.ts';
import { companionOf } from './row-writes.ts';
import { resolveEffects, type EffectValues } from '#domain/effects.ts';
import type { ItemUpdate, ItemWrite, Key } from '../item-table.ts';

/**
 * Where the slots of task limits live (issue 18), and how a lease token names
 * the slot it holds.
 *
 * One partition per declared task of a definition (`POOL#<hash>`), with `limit`
 * items per key: `S#<key hash>#<n>` for concurrency, `R#<key hash>#<n>` for the
 * rate limit. A claim that takes concurrency slot n gets a lease token ending
 * in `~<pool hash>.<key hash>.<n>`: heartbeat, complete, fail, retry and
 * release then know the slot from the token alone, and renew or free it in
 * their own transaction without reading anything first. A token cannot free a
 * slot it does not hold: every slot write is guarded on the token.
 */

/** The partition of a task's pools, from its definition and declared task (hashed: the token carries it). */
export function poolPk(definition: string, task: string): string {
  return `${POOL_PK_PREFIX}${hash64(`${definition}\u0000${task}`)}`;
}

export const POOL_PK_PREFIX = 'POOL#';
/** Concurrency slots sort under this prefix, rate-limit slots under `R#`. */
export const CONCURRENCY_SLOT_PREFIX = 'S#';
export const RATE_SLOT_PREFIX = 'R#';

/** The sort-key prefix of one key's slots of one kind. */
export function slotPrefix(kind: 'concurrency' | 'rate', key: string): string {
  return `${kind === 'concurrency' ? CONCURRENCY_SLOT_PREFIX : RATE_SLOT_PREFIX}${hash64(key)}#`;
}

export function slotKey(pool: string, kind: 'concurrency' | 'rate', key: string, n: number): Key {
  return { pk: pool, sk: `${slotPrefix(kind, key)}${String(n).padStart(4, '0')}` };
}

/** Wait-list entries sort under this prefix, after the slots (see `SLOT_WAIT_WRITES`). */
export const WAIT_ENTRY_PREFIX = 'W#';

/** The sort-key prefix of one concurrency key's wait list, in the same partition as its slots. */
export function waitPrefix(key: string): string {
  return `${WAIT_ENTRY_PREFIX}${hash64(key)}#`;
}

/** A task's entry on its key's wait list: ordered by when the task was scheduled, then by the task. */
export function waitKey(pool: string, key: string, scheduledAt: string, ref: { processId: string; task: string }): Key {
  return { pk: pool, sk: `${waitPrefix(key)}${scheduledAt}#${hash64(`${ref.processId}\u0000${ref.task}`)}` };
}

/** The wait list of the concurrency slot a lease token holds, if any: the same key's entries. */
export function waitListOfToken(token: string | undefined): { pk: string; prefix: string } | undefined {
  const slot = slotOfToken(token);
  if (!slot) return undefined;
  const [, keyHash] = slot.sk.split('#');
  return { pk: slot.pk, prefix: `${WAIT_ENTRY_PREFIX}${keyHash}#` };
}

/** A claim's token with the concurrency slot it took. */
export function slottedToken(base: string, slot: Key): string {
  const pool = slot.pk.slice(POOL_PK_PREFIX.length);
  const [, keyHash, n] = slot.sk.split('#');
  return `${base}~${pool}.${keyHash}.${Number(n)}`;
}

const TOKEN_SLOT = /~([0-9a-f]{16})\.([0-9a-f]{16})\.(\d{1,4})$/;

/** The concurrency slot a lease token holds, if any. */
export function slotOfToken(token: string | undefined): Key | undefined {
  const m = token === undefined ? null : TOKEN_SLOT.exec(token);
  if (!m) return undefined;
  return { pk: `${POOL_PK_PREFIX}${m[1]}`, sk: `${CONCURRENCY_SLOT_PREFIX}${m[2]}#${m[3]?.padStart(4, '0')}` };
}

/** A write of a slot item, from its row. */
export function slotUpdate<E extends SlotEvent>(event: E, key: Key, values: EffectValues<(typeof SLOT_WRITES)[E]['effects']>, guardValues: { leaseToken?: string; now?: number } = {}): ItemUpdate {
  const e = resolveEffects(SLOT_WRITES[event].effects, values as Readonly<Record<string, unknown>>, `slot write '${event}'`);
  return {
    type: 'update',
    key,
    guards: slotGuards(event, guardValues),
    ...(Object.keys(e.set).length > 0 ? { set: e.set } : {}),
    ...(Object.keys(e.setSum).length > 0 ? { setSum: e.setSum } : {}),
    ...(e.remove.length > 0 ? { remove: e.remove } : {}),
  };
}

/** The slot a task's ending (or retry, or release) frees in its transaction: none unless its token holds one. */
export function slotFreeWrites(event: TaskEvent, leaseToken: string | undefined): ItemWrite[] {
  const slot = slotOfToken(leaseToken);
  if (!slot || leaseToken === undefined) return [];
  companionOf(TASK_TRANSITIONS[event], 'slot.free', `task event '${event}'`);
  return [slotUpdate('free', slot, {}, { leaseToken })];
}

/**
 * The slot a heartbeat renews with its lease: by the same length, from the slot's own stored `timeoutMs` (taken
 * equal to the claim's lease), or by the new length `leaseMs` the heartbeat names, which the slot then stores too.
 */
export function slotRenewWrites(leaseToken: string, now: number, leaseMs?: number): ItemWrite[] {
  const slot = slotOfToken(leaseToken);
  if (!slot) return [];
  companionOf(TASK_TRANSITIONS.heartbeat, 'slot.renew', "task event 'heartbeat'");
  const values = leaseMs === undefined ? { leaseExpiresAt: { source: 'timeoutMs', plus: now } } : { leaseExpiresAt: now + leaseMs, timeoutMs: leaseMs };
  return [slotUpdate('renew', slot, values, { leaseToken, now })];
}

/** 64 bits of FNV-1a (two 32-bit passes with different offsets), as 16 hex digits: a key's place, not a secret. */
export function hash64(text: string): string {
  return fnv(text, 0x811c9dc5) + fnv(text, 0x050c5d1f);
}

function fnv(text: string, offset: number): string {
  let h = offset;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
