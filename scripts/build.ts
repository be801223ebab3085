/**
 * `npm run build` (and `prepack`): everything the published package ships, in dist/.
 * - dist/lambda/<name>/index.mjs: each Lambda function, bundled with its
 *   dependencies, so that a user's `cdk synth` needs no esbuild and no lock file;
 * - dist/<entry>/index.js and index.cjs: the library entry points (ESM and
 *   CommonJS), with dependencies and peers (aws-cdk-lib, constructs) external;
 * - dist/types: declarations; dist/types-cjs: the same, marked CommonJS.
 */
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { buildConsole } from '../console/build-console.ts';
import { groupEntries, schedulerEntry, startQueueEntry, sweeperEntry } from '#config/routes.ts';
import { bundleName, LAMBDA_BUNDLING, REPO_ROOT } from '../infra/function-with-log-group.ts';

/**
 * The package's entry points: subpath → source. Each becomes an `exports`
 * entry of package.json (checked below).
 */
export const LIBRARY_ENTRIES: Readonly<Record<string, string>> = {
  cdk: 'infra/index.ts',
  client: 'client/index.ts',
  testing: 'testing/index.ts',
};

const DIST = join(REPO_ROOT, 'dist');

async function main(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  // The console beside the CLI (dist/console), so that the published `tributary console` needs no esbuild.
  await Promise.all([buildLambdas(), buildLibrary(), buildCli(), buildConsole(join(DIST, 'console'))]);
  buildDeclarations();
  checkPackageExports();
  console.log(`built ${relative(process.cwd(), DIST) || 'dist'}`);
}

/** The Lambda bundles, with the settings the repository's own synth uses. */
async function buildLambdas(): Promise<void> {
  const entries = [...Object.values(groupEntries), sweeperEntry, schedulerEntry, startQueueEntry];
  await Promise.all(
    entries.map((entry) =>
      build({
        absWorkingDir: REPO_ROOT,
        entryPoints: [join(REPO_ROOT, entry)],
        outfile: join(DIST, 'lambda', bundleName(entry), 'index.mjs'),
        bundle: true,
        platform: 'node',
        target: 'node24',
        format: 'esm',
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        banner: { js: LAMBDA_BUNDLING.banner },
        minify: LAMBDA_BUNDLING.minify,
        sourcemap: 'linked',
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        logLevel: 'warning',
      }),
    ),
  );
}

/** Library entry points as ESM and CommonJS; `import.meta.url` works in both. */
async function buildLibrary(): Promise<void> {
  const common = {
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    // Dependencies and peers stay imports; the repository's own modules (#config/*, …) are inlined.
    packages: 'external' as const,
    logLevel: 'warning' as const,
  };
  await Promise.all(
    Object.entries(LIBRARY_ENTRIES).flatMap(([name, entry]) => [
      build({ ...common, entryPoints: [join(REPO_ROOT, entry)], outfile: join(DIST, name, 'index.js'), format: 'esm' }),
      build({
        ...common,
        entryPoints: [join(REPO_ROOT, entry)],
        outfile: join(DIST, name, 'index.cjs'),
        format: 'cjs',
        define: { 'import.meta.url': '__tributaryImportMetaUrl' },
        banner: { js: "const __tributaryImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      }),
    ]),
  );
}

/** The `tributary` command, for the package's `bin` (cli/bin.js runs it when the TypeScript source is absent). */
async function buildCli(): Promise<void> {
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: [join(REPO_ROOT, 'cli/main.ts')],
    outfile: join(DIST, 'cli', 'main.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
}

/**
 * Declarations with tsc, then made resolvable outside the repository:
 * `.ts` extensions become `.js`, and `#alias/*` imports become relative paths.
 */
function buildDeclarations(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(REPO_ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  const types = join(DIST, 'types');
  const aliases = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { imports: Record<string, string> }).imports;
  for (const file of walk(types).filter((f) => f.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8').replace(/(from\s+|import\()(['"])([^'"]+)\2/g, (_m, lead: string, quote: string, spec: string) => {
      let target = spec;
      const alias = Object.keys(aliases).find((a) => spec.startsWith(a.replace('*', '')));
      if (alias !== undefined) {
        const mapped = join(types, aliases[alias]!.replace('*', spec.slice(alias.length - 1)));
        target = relative(dirname(file), mapped);
        if (!target.startsWith('.')) target = `./${target}`;
      }
      if (target.startsWith('.')) target = target.replace(/\.ts$/, '.js');
      return `${lead}${quote}${target}${quote}`;
    });
    if (/from\s+['"]#/.test(text)) throw new Error(`${file} still imports a #alias`);
    writeFileSync(file, text);
  }
  // CommonJS consumers (require) get the same declarations in a CommonJS scope.
  cpSync(types, join(DIST, 'types-cjs'), { recursive: true });
  writeFileSync(join(DIST, 'types-cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }) + '\n');
}

/** package.json must export exactly LIBRARY_ENTRIES, pointing at what was built. */
function checkPackageExports(): void {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const exported = Object.keys(pkg.exports).filter((k) => k !== './package.json').sort();
  const expected = Object.keys(LIBRARY_ENTRIES).map((n) => `./${n}`).sort();
  if (exported.join() !== expected.join()) throw new Error(`package.json exports ${exported.join(', ')}, but the build makes ${expected.join(', ')}`);
  for (const target of JSON.stringify(pkg.exports).match(/"\.\/dist\/[^"]+"/g) ?? []) {
    statSync(join(REPO_ROOT, JSON.parse(target) as string));
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
}

await main();
