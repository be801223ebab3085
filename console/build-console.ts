/**
 * Builds the web console (console/src, Preact) into static files with the
 * repository's esbuild: `index.html`, `app.js`, `app.css`.
 *
 * The local stack and `tributary console` call {@link ensureConsoleBuilt}
 * before they serve, rather than relying on an npm lifecycle script: a build
 * takes well under a second, it cannot be skipped by `--ignore-scripts` or a
 * package manager that does not run `prepare`, and an edited source is
 * picked up on the next start. `node --import tsx console/build-console.ts`
 * builds by hand.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The console's sources. */
export const CONSOLE_SRC = fileURLToPath(new URL('./src/', import.meta.url));
/** Where the built files go (git-ignored). */
export const CONSOLE_DIST = fileURLToPath(new URL('./dist/', import.meta.url));
/** The budget the issue sets for everything the browser downloads, gzipped. */
export const CONSOLE_GZIP_BUDGET_BYTES = 300 * 1024;

/** Builds the console into `outDir` (default {@link CONSOLE_DIST}), minified, and answers the files written. */
export async function buildConsole(outDir: string = CONSOLE_DIST): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  // Built aside, then each file renamed in: another process serving the folder never reads half a file.
  const staging = mkdtempSync(join(tmpdir(), 'tributary-console-'));
  await build({
    entryPoints: { app: join(CONSOLE_SRC, 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: staging,
    // Sources stay out of the budget and out of the served folder.
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'error',
  });
  copyFileSync(join(CONSOLE_SRC, 'index.html'), join(staging, 'index.html'));
  writeFileSync(join(staging, 'built.json'), `${JSON.stringify({ builtAt: new Date().toISOString() })}\n`);
  const names = readdirSync(staging);
  // built.json last: it is the stamp that says the rest is current.
  for (const name of [...names.filter((n) => n !== 'built.json'), 'built.json']) moveFile(join(staging, name), join(outDir, name));
  rmSync(staging, { recursive: true, force: true });
  return names.map((f) => join(outDir, f));
}

/** A rename when on the same device, else a copy to a neighbour and a rename (the temp dir may be another file system). */
function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    const aside = `${to}.${process.pid}.tmp`;
    copyFileSync(from, aside);
    renameSync(aside, to);
  }
}

/** The newest modification time under `dir`, in ms. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the console unless its files are newer than every source. Answers
 * the folder to serve. Concurrent callers in one process share one build.
 */
export function ensureConsoleBuilt(outDir: string = CONSOLE_DIST): Promise<string> {
  return (pending ??= (async () => {
    const stamp = join(outDir, 'built.json');
    const fresh = existsSync(stamp) && existsSync(join(outDir, 'app.js')) && statSync(stamp).mtimeMs >= newestMtime(CONSOLE_SRC);
    if (!fresh) await buildConsole(outDir);
    return outDir;
  })().finally(() => {
    pending = undefined;
  }));
}
let pending: Promise<string> | undefined;

/** Each served file's gzipped size, and their total. */
export function gzippedSizes(dir: string = CONSOLE_DIST): { files: Record<string, number>; total: number } {
  const files: Record<string, number> = {};
  for (const name of readdirSync(dir)) {
    if (name === 'built.json') continue;
    files[name] = gzipSync(readFileSync(join(dir, name)), { level: 9 }).length;
  }
  return { files, total: Object.values(files).reduce((a, b) => a + b, 0) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildConsole();
  const { files, total } = gzippedSizes();
  for (const [name, size] of Object.entries(files)) console.log(`  ${name.padEnd(12)} ${(size / 1024).toFixed(1)} KB gzipped`);
  console.log(`built ${relative(process.cwd(), CONSOLE_DIST)}: ${(total / 1024).toFixed(1)} KB gzipped (budget ${CONSOLE_GZIP_BUDGET_BYTES / 1024} KB)`);
  if (total > CONSOLE_GZIP_BUDGET_BYTES) process.exitCode = 1;
}
