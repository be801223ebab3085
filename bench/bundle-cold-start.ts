/**
 * Bundle size and cold-start import time of each prebuilt Lambda bundle
 * (dist/lambda, made by `npm run build`): each bundle is imported in a fresh
 * Node process, `runs` times, and the median import time is reported. Import
 * is what a cold start adds on top of the runtime's own start; the first
 * request's AWS calls come on top of that.
 *
 * Usage: npm run build && node --import tsx bench/bundle-cold-start.ts [runs]
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../infra/function-with-log-group.ts';

const runs = Number(process.argv[2] ?? 7);
const dir = join(REPO_ROOT, 'dist', 'lambda');
const script = "const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));";

console.log('| bundle | size | gzip | import (median of %d) |', runs);
console.log('|---|---|---|---|');
for (const name of readdirSync(dir).sort()) {
  const file = join(dir, name, 'index.mjs');
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, file], {
      encoding: 'utf8',
      env: { ...process.env, AWS_REGION: 'eu-west-1', POWERTOOLS_METRICS_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    times.push(Number(out));
  }
  times.sort((a, b) => a - b);
  const kb = (n: number): string => `${(n / 1024).toFixed(0)} KB`;
  console.log(`| ${name} | ${kb(statSync(file).size)} | ${kb(gzipSync(readFileSync(file)).length)} | ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms |`);
}
