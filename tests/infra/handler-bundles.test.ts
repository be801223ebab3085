import { join } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupEntries, routes, schedulerEntry, startQueueEntry, sweeperEntry } from '#config/routes.ts';
import { REPO_ROOT } from '../../infra/function-with-log-group.ts';

/** Every module the CDK app bundles into a Lambda function (the groups and the sweeper), and each route's own module, once each. */
const entries = [...new Set([...Object.values(groupEntries), sweeperEntry, schedulerEntry, startQueueEntry, ...routes.map((r) => r.entry)])];

const options: BuildOptions = {
  absWorkingDir: REPO_ROOT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  write: false,
  metafile: true,
  logLevel: 'silent',
  outdir: 'bundle-check',
};

/** Exported names of each entry's bundle, keyed by the entry (relative to the repository root). */
function exportsByEntry(metafile: Metafile): Map<string, string[]> {
  return new Map(Object.values(metafile.outputs).flatMap((o) => (o.entryPoint ? [[o.entryPoint, o.exports] as const] : [])));
}

// `cdk synth` bundles these too, but only a full synth would notice a broken
// import; this catches it per handler with esbuild's API. One build of all
// entries parses the shared code (and the SDK) once; if it fails, each entry
// is built alone so that the failing test names the broken handler.
describe('handler bundles', () => {
  let together: Map<string, string[]> | undefined;

  beforeAll(async () => {
    try {
      together = exportsByEntry((await build({ ...options, entryPoints: entries.map((e) => join(REPO_ROOT, e)) })).metafile!);
    } catch {
      together = undefined;
    }
  });

  it.each(entries)('%s bundles as ESM and exports handler', async (entry) => {
    const exports = together?.get(entry) ?? exportsByEntry((await build({ ...options, entryPoints: [join(REPO_ROOT, entry)] })).metafile!).get(entry);
    expect(exports).toContain('handler');
  });
});
