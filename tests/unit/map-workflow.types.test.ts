import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { workflow, type MapResult, type TaskRef } from '../../client/index.ts';

/**
 * Type tests of `.map()`: `npm run typecheck` compiles them, so a typing
 * regression fails the build; vitest runs them as ordinary (no-op) tests.
 * Nothing here builds the definition, so the validator is not involved.
 */
describe('code-first map types', () => {
  const images = workflow('images', { input: z.object({ bucket: z.string() }) });
  const listFiles = images.task('list-files', async () => ({ files: [{ key: 'a.png', size: 1 }], at: new Date() }));

  it('infers the item from itemSchema, and input, upstream and the output as for a task', () => {
    const resize = images.map(
      'resize',
      { needs: [listFiles], items: "upstream['list-files'].files", maxConcurrency: 50, itemSchema: z.object({ key: z.string() }) },
      async ({ item, index, map, input, upstream }) => {
        expectTypeOf(item).toEqualTypeOf<{ key: string }>();
        expectTypeOf(index).toEqualTypeOf<number>();
        expectTypeOf(map).toEqualTypeOf<string>();
        expectTypeOf(input).toEqualTypeOf<{ bucket: string }>();
        expectTypeOf(upstream['list-files'].at).toEqualTypeOf<string>();
        return { key: item.key, resizedAt: new Date() };
      },
    );
    expectTypeOf(resize).toEqualTypeOf<
      TaskRef<'images', 'resize', MapResult<{ key: string; resizedAt: Date }>, MapResult<{ key: string; resizedAt: string }>>
    >();
  });

  it('gives dependants the totals and the results as JSON delivers them, null for a failed child', () => {
    const resize = images.map('thumbs', { items: 'input.files' }, () => ({ at: new Date() }));
    images.task('report', { needs: [resize] }, ({ upstream }) => {
      expectTypeOf(upstream.thumbs.total).toEqualTypeOf<number>();
      expectTypeOf(upstream.thumbs.completed).toEqualTypeOf<number>();
      expectTypeOf(upstream.thumbs.failed).toEqualTypeOf<number>();
      expectTypeOf(upstream.thumbs.results).toEqualTypeOf<({ at: string } | null)[] | undefined>();
      expectTypeOf(upstream.thumbs.resultsOmitted).toEqualTypeOf<true | undefined>();
    });
  });

  it('types the item as unknown without a schema or a type argument', () => {
    images.map('loose', { items: 'input.files' }, ({ item }) => {
      expectTypeOf(item).toEqualTypeOf<unknown>();
    });
  });

  it('takes the item type as a type argument; the output and needs are then given too, or unknown', () => {
    images.map<'typed', { key: string }>('typed', { needs: [listFiles], items: "upstream['list-files'].files" }, ({ item, upstream }) => {
      expectTypeOf(item).toEqualTypeOf<{ key: string }>();
      expectTypeOf(upstream['list-files']).toEqualTypeOf<unknown>();
      return item.key;
    });
    const full = images.map<'full', { key: string }, string, [typeof listFiles]>('full', { needs: [listFiles], items: "upstream['list-files'].files" }, ({ item, upstream }) => {
      expectTypeOf(upstream['list-files'].files).toEqualTypeOf<{ key: string; size: number }[]>();
      return item.key;
    });
    expectTypeOf(full).toEqualTypeOf<TaskRef<'images', 'full', MapResult<string>, MapResult<string>>>();
  });

  it('takes items or itemsFrom, not both, and only the keys of a map', () => {
    images.map('s3', { itemsFrom: { bucket: 'input.bucket', key: "'list.jsonl'", format: 'jsonl' } }, () => null);
    // @ts-expect-error: one source of items
    images.map('both', { items: 'input.files', itemsFrom: { bucket: 'b', key: 'k' } }, () => null);
    // @ts-expect-error: no source of items
    images.map('none', { maxConcurrency: 5 }, () => null);
    // @ts-expect-error: the expression is CEL text
    images.map('not-text', { items: ['a', 'b'] }, () => null);
    // @ts-expect-error: json or jsonl
    images.map('csv', { itemsFrom: { bucket: 'b', key: 'k', format: 'csv' } }, () => null);
  });

  it('needs tasks of its own workflow, as a task does', () => {
    const other = workflow('other');
    const elsewhere = other.task('elsewhere', () => 1);
    // @ts-expect-error: a map can only need tasks of its own workflow
    images.map('cross', { needs: [elsewhere], items: 'input.files' }, () => null);
  });
});
