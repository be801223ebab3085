import { parseChildName, type ChildRef } from '#domain/map-children.ts';
import type { DefinitionVersionItem } from '#schemas/items.ts';
import { dagOf } from './definitions.ts';

/** A map's settings with every default applied (the runtime reads these, never the raw key). */
export interface MapSettings {
  readonly items?: string;
  readonly itemsFrom?: { readonly bucket: string; readonly key: string; readonly format: 'json' | 'jsonl' };
  readonly maxConcurrency: number;
  readonly maxItems: number;
  readonly toleratedFailurePercent?: number;
  readonly toleratedFailureCount?: number;
}

/** A map's children run this many at once unless it says otherwise. */
export const DEFAULT_MAP_CONCURRENCY = 100;
/** A map holds at most this many items unless it says fewer. */
export const DEFAULT_MAP_MAX_ITEMS = 100_000;

interface MapKey {
  readonly items?: string;
  readonly itemsFrom?: { readonly bucket: string; readonly key: string; readonly format?: 'json' | 'jsonl' };
  readonly maxConcurrency?: number;
  readonly maxItems?: number;
  readonly toleratedFailurePercent?: number;
  readonly toleratedFailureCount?: number;
}

/**
 * The settings of the map task `task` of a definition, or undefined when it is
 * no map.
 *
 * @example
 * mapSettingsOf(def, 'resize') // { items: "input.files", maxConcurrency: 100, maxItems: 100000, toleratedFailureCount: 0 }
 */
export function mapSettingsOf(def: DefinitionVersionItem, task: string): MapSettings | undefined {
  const spec = dagOf(def).tasks.get(task) as { map?: MapKey } | undefined;
  const map = spec?.map;
  if (!map) return undefined;
  return {
    ...(map.items === undefined ? {} : { items: map.items }),
    ...(map.itemsFrom === undefined ? {} : { itemsFrom: { bucket: map.itemsFrom.bucket, key: map.itemsFrom.key, format: map.itemsFrom.format ?? 'json' } }),
    maxConcurrency: map.maxConcurrency ?? DEFAULT_MAP_CONCURRENCY,
    maxItems: map.maxItems ?? DEFAULT_MAP_MAX_ITEMS,
    ...(map.toleratedFailurePercent === undefined ? { toleratedFailureCount: map.toleratedFailureCount ?? 0 } : { toleratedFailurePercent: map.toleratedFailurePercent }),
  };
}

/**
 * The declared task a name runs as: a child of a map (`resize[41]`) runs as
 * its map (its queue, timeout and failure keys), with the child's address; a
 * declared task as itself. Undefined when the name is neither (no such task,
 * or a child of a task that is no map).
 */
export function declaredTaskOf(def: DefinitionVersionItem, name: string): { readonly task: string; readonly child?: ChildRef } | undefined {
  const dag = dagOf(def);
  if (dag.tasks.has(name)) return { task: name };
  const child = parseChildName(name);
  if (!child || !mapSettingsOf(def, child.map)) return undefined;
  return { task: child.map, child };
}
