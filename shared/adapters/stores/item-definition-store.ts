import { z } from 'zod';
import { BY_KIND_INDEX } from '#config/table.ts';
import type { DefinitionStore, Page } from '#app/ports.ts';
import { definitionVersionAttributes, DefinitionHeadItemSchema, DefinitionVersionItemSchema, type DefinitionHeadItem, type DefinitionVersionItem } from '#schemas/items.ts';
import type { Guard } from '#domain/lifecycle.ts';
import type { ItemTable } from '../item-table.ts';
import { keys } from './keys.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import { withPageTokenErrors } from './query-errors.ts';

/** Definition versions kept in memory per container (immutable, so never stale). */
const MAX_CACHED_VERSIONS = 500;

/** What the byKind index projects of a definition's HEAD item. */
const DefinitionSummarySchema = z.object({
  name: z.string(),
  latestVersion: z.number().int().positive(),
  description: z.string().optional(),
});

const ABSENT: Guard = { kind: 'absent' };

/**
 * Definitions: immutable versions plus a HEAD item that points at the latest.
 * Versions never change once written, so they are cached in memory for the
 * life of the container. Definitions have no lifecycle: their only conditions
 * are "not written yet" and "HEAD is where I read it".
 */
export class ItemDefinitionStore implements DefinitionStore {
  private readonly cache = new Map<string, DefinitionVersionItem>();

  constructor(private readonly table: ItemTable) {}

  async getHead({ name }: { name: string }): Promise<DefinitionHeadItem | undefined> {
    const item = await this.table.get(keys.definitionHead(name));
    return item ? DefinitionHeadItemSchema.parse(item) : undefined;
  }

  async getVersion({ name, version }: { name: string; version: number }): Promise<DefinitionVersionItem | undefined> {
    const cacheKey = `${name}@${version}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const item = await this.table.get(keys.definitionVersion(name, version));
    if (!item) return undefined;
    const parsed = DefinitionVersionItemSchema.parse(item);
    // Bounded: a container serving many definitions drops the oldest it cached.
    if (this.cache.size >= MAX_CACHED_VERSIONS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, parsed);
    return parsed;
  }

  async appendVersion({ definition: def }: { definition: DefinitionVersionItem }): Promise<{ kind: 'created' } | { kind: 'raced' }> {
    const r = await this.table.transact([
      { type: 'put', key: keys.definitionVersion(def.name, def.version), item: { ...definitionVersionAttributes(def) }, guards: [ABSENT] },
      {
        type: 'put',
        key: keys.definitionHead(def.name),
        item: {
          kind: 'DEFINITION',
          kindKey: def.name,
          name: def.name,
          latestVersion: def.version,
          contentHash: def.contentHash,
          description: def.description,
          updatedAt: def.createdAt,
        },
        guards: [def.version === 1 ? ABSENT : { kind: 'equals', attribute: 'latestVersion', value: def.version - 1 }],
      },
    ]);
    return r.ok ? { kind: 'created' } : { kind: 'raced' };
  }

  async listHeads({ limit, nextToken }: { limit: number; nextToken?: string }): Promise<Page<z.infer<typeof DefinitionSummarySchema>>> {
    const page = await withPageTokenErrors(nextToken, () =>
      this.table.queryIndex({ index: BY_KIND_INDEX, partition: 'DEFINITION', descending: false, limit, ...(nextToken === undefined ? {} : { startKey: decodePageToken(nextToken) }) }),
    );
    const token = encodePageToken(page.lastKey);
    return { items: page.items.map((i) => DefinitionSummarySchema.parse(i)), ...(token ? { nextToken: token } : {}) };
  }
}
