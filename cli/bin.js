#!/usr/bin/env node
// The `tributary` command. The CLI is TypeScript run through tsx, as the rest of the repository is.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
