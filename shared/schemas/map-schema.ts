import { z } from 'zod';

/**
 * The `map:` key of a task (issue 16): its shape as written and its
 * normalised form. `definition-schema.ts` puts it on a task and exports it
 * again; the rules across its keys and its expressions are checked in
 * `#domain/map-spec.ts`.
 */

/** Children a map runs at once (SCHEDULED or RUNNING) when `maxConcurrency` is left out. */
export const DEFAULT_MAP_CONCURRENCY = 100;
/** Largest `maxConcurrency`. */
export const MAX_MAP_CONCURRENCY = 10_000;
/** Most items one map may have, and the default of `maxItems`. */
export const MAX_MAP_ITEMS = 100_000;
/** How the object `itemsFrom` names holds its items: a JSON array, or JSON Lines (one item a line). */
export const MAP_ITEM_FORMATS = ['json', 'jsonl'] as const;

const mapExpression = (key: string) => z.string({ error: `${key} must be a CEL expression (text)` });
const mapConcurrencyMessage = `maxConcurrency must be a whole number from 1 to ${MAX_MAP_CONCURRENCY}`;
const mapItemsMessage = `maxItems must be a whole number from 1 to ${MAX_MAP_ITEMS}`;
const mapPercentMessage = 'toleratedFailurePercent must be a number from 0 to 100';
const mapCountMessage = 'toleratedFailureCount must be a whole number, 0 or more';

/** `map.itemsFrom`: an S3 object whose bucket and key are CEL expressions. */
export const MapItemsFromDocumentSchema = z.strictObject(
  {
    bucket: mapExpression('itemsFrom.bucket'),
    key: mapExpression('itemsFrom.key'),
    format: z.enum(MAP_ITEM_FORMATS, { error: `itemsFrom.format must be one of: ${MAP_ITEM_FORMATS.join(', ')}` }).optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? "itemsFrom must be a mapping, e.g. { bucket: \"input.bucket\", key: \"input.key\", format: jsonl }" : undefined) },
);

/**
 * `map:` on a task, as written. The rules across keys (exactly one of `items`
 * and `itemsFrom`; not both tolerance keys) and the expressions are checked
 * in `#domain/map-spec.ts`, so that they are reported alongside the others.
 */
export const MapDocumentSchema = z.strictObject(
  {
    items: mapExpression('items').optional(),
    itemsFrom: MapItemsFromDocumentSchema.optional(),
    maxConcurrency: z.number({ error: mapConcurrencyMessage }).int(mapConcurrencyMessage).min(1, mapConcurrencyMessage).max(MAX_MAP_CONCURRENCY, mapConcurrencyMessage).optional(),
    toleratedFailurePercent: z.number({ error: mapPercentMessage }).min(0, mapPercentMessage).max(100, mapPercentMessage).optional(),
    toleratedFailureCount: z.number({ error: mapCountMessage }).int(mapCountMessage).min(0, mapCountMessage).optional(),
    maxItems: z.number({ error: mapItemsMessage }).int(mapItemsMessage).min(1, mapItemsMessage).max(MAX_MAP_ITEMS, mapItemsMessage).optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? "map must be a mapping with 'items' or 'itemsFrom', e.g. { items: \"input.files\" }" : undefined) },
);
export type MapDocument = z.infer<typeof MapDocumentSchema>;

/**
 * `map:` of a normalised task, defaults applied: `format` json,
 * `maxConcurrency` {@link DEFAULT_MAP_CONCURRENCY}, `maxItems`
 * {@link MAX_MAP_ITEMS}, and `toleratedFailureCount: 0` when neither
 * tolerance key is given. Exactly one of `items` and `itemsFrom`; at most one
 * of the two tolerance keys.
 */
export const MapSpecSchema = z.object({
  items: z.string().optional(),
  itemsFrom: z.object({ bucket: z.string(), key: z.string(), format: z.enum(MAP_ITEM_FORMATS) }).optional(),
  maxConcurrency: z.number().int().min(1).max(MAX_MAP_CONCURRENCY),
  toleratedFailurePercent: z.number().min(0).max(100).optional(),
  toleratedFailureCount: z.number().int().min(0).optional(),
  maxItems: z.number().int().min(1).max(MAX_MAP_ITEMS),
});
export type MapSpec = z.infer<typeof MapSpecSchema>;
