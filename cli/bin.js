#!/usr/bin/env node
// The `tributary` command. In a clone of the repository the CLI runs from its
// TypeScript source through tsx, as the rest of the repository does; the
// published package ships it compiled (dist/cli/main.js, `npm run build`).
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const source = new URL('./main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
