import { parseChildName, type ChildRef } from '#domain/map-children.ts';
import type { MapSpec } from '#schemas/definition-schema.ts';
import type { DefinitionVersionItem } from '#schemas/items.ts';
import { dagOf } from './definitions.ts';

/**
 * The map settings of task `task` of a definition (normalised: every default
 * applied), or undefined when it is no map.
 *
 * @example
 * mapSettingsOf(def, 'resize') // { items: "input.files", maxConcurrency: 100, maxItems: 100000, toleratedFailureCount: 0 }
 */
export function mapSettingsOf(def: DefinitionVersionItem, task: string): MapSpec | undefined {
  return dagOf(def).tasks.get(task)?.map;
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
