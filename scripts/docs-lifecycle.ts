import { writeFileSync } from 'node:fs';
import { renderLifecycleMarkdown } from '#domain/lifecycle-markdown.ts';

/** Writes docs/lifecycle.md from the lifecycle table (`npm run docs:lifecycle`). */
writeFileSync(new URL('../docs/lifecycle.md', import.meta.url), renderLifecycleMarkdown());
