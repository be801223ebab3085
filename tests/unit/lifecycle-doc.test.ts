import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderLifecycleMarkdown } from '#domain/lifecycle-markdown.ts';

describe('docs/lifecycle.md', () => {
  it('is exactly what the lifecycle table renders to (run `npm run docs:lifecycle` after changing the table)', async () => {
    expect(await readFile(new URL('../../docs/lifecycle.md', import.meta.url), 'utf8')).toBe(renderLifecycleMarkdown());
  });
});
