import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/function-with-log-group.ts';

/**
 * The package as a CDK user gets it: `npm pack` (which runs the build), then
 * the tarball installed into two throwaway apps, a CommonJS + ts-node app
 * shaped like `cdk init app --language typescript` and an ESM app. Both are
 * type-checked and synthesized offline against an aws-cdk-lib version other
 * than the repository's, so aws-cdk-lib must be a peer. Only the npm registry
 * (or its cache) is used.
 */
const OTHER_CDK_VERSION = '2.270.0';
const repoCdkVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/aws-cdk-lib/package.json'), 'utf8')) as { version: string }).version;

/** Both apps build the same stack: two queues, JWT, grantWorker and addLambdaWorker. */
const appSource = (importLine: string): string => `${importLine}
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Tributary, type TributaryProps } from 'tributary/cdk';
import type { TributaryClientOptions } from 'tributary/client';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'UserStack', { env: { account: '111111111111', region: 'eu-west-1' } });
const props: TributaryProps = {
  queues: {
    default: { visibilityTimeout: Duration.minutes(2), maxReceiveCount: 5 },
    fast: { visibilityTimeout: Duration.seconds(30), maxReceiveCount: 3 },
  },
  authorization: { mode: 'jwt', issuer: 'https://idp.example.com', audience: ['tributary'] },
};
const tributary = new Tributary(stack, 'Orchestrator', props);
const role = new iam.Role(stack, 'WorkerRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
tributary.grantWorker(role, ['default']);
const worker = new lambda.Function(stack, 'Worker', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
  timeout: Duration.seconds(20),
});
tributary.addLambdaWorker('fast', worker);
const clientOptions: TributaryClientOptions = { baseUrl: 'https://example.com' };
void clientOptions;
app.synth();
`;

const tsconfigCjs = {
  compilerOptions: { target: 'ES2020', module: 'commonjs', lib: ['es2020'], strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
  include: ['bin/**/*.ts'],
};
const tsconfigEsm = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: true, types: ['node'] },
  include: ['app.ts'],
};

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

describe('the packed package in a user CDK app', { timeout: 300_000 }, () => {
  let dir = '';
  const run = (cmd: string, args: string[], cwd: string): string =>
    execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-package-'));
    // prepack runs the build (bundles, declarations) first.
    run('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], REPO_ROOT);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    // One install for both apps: Node and TypeScript resolve upwards to dir/node_modules.
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'user-apps',
        private: true,
        dependencies: {
          tributary: `file:./${tarball}`,
          'aws-cdk-lib': OTHER_CDK_VERSION,
          constructs: '10.8.1',
          typescript: '5.9.3',
          'ts-node': '10.9.2',
          '@types/node': '20.19.43',
        },
      }),
    );
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);

    mkdirSync(join(dir, 'cjs-app/bin'), { recursive: true });
    writeFileSync(join(dir, 'cjs-app/package.json'), JSON.stringify({ name: 'cjs-app', private: true }));
    writeFileSync(join(dir, 'cjs-app/tsconfig.json'), JSON.stringify(tsconfigCjs));
    writeFileSync(join(dir, 'cjs-app/bin/app.ts'), appSource('// cdk init app --language typescript (CommonJS, ts-node)'));

    mkdirSync(join(dir, 'esm-app'), { recursive: true });
    writeFileSync(join(dir, 'esm-app/package.json'), JSON.stringify({ name: 'esm-app', private: true, type: 'module' }));
    writeFileSync(join(dir, 'esm-app/tsconfig.json'), JSON.stringify(tsconfigEsm));
    writeFileSync(join(dir, 'esm-app/app.ts'), appSource('// an ESM app (type: module, NodeNext)'));
  }, 900_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it(`installs against aws-cdk-lib ${OTHER_CDK_VERSION} (not the repository's) as a peer, without esbuild`, () => {
    expect(OTHER_CDK_VERSION).not.toBe(repoCdkVersion);
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules/aws-cdk-lib/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(OTHER_CDK_VERSION);
    expect(existsSync(join(dir, 'node_modules/tributary/node_modules/aws-cdk-lib'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/esbuild'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/tributary/dist/lambda/read-routes/index.mjs'))).toBe(true);
  });

  it('type-checks and synthesizes the CommonJS ts-node app', () => {
    // Like cdk.json's "npx ts-node --prefer-ts-exts bin/app.ts": ts-node type-checks, then runs.
    run(process.execPath, [join(dir, 'node_modules/ts-node/dist/bin.js'), '--prefer-ts-exts', 'bin/app.ts', 'cdk.out'], join(dir, 'cjs-app'));
    expectSynthesized(join(dir, 'cjs-app/cdk.out'));
  });

  it('installs the tributary command, which validates a definition offline', () => {
    writeFileSync(join(dir, 'flow.yaml'), 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n');
    const bin = join(dir, 'node_modules/.bin/tributary');
    expect(run(bin, ['validate', 'flow.yaml'], dir)).toContain('valid, 2 tasks');
  });

  it('runs a workflow test on tributary/testing, the in-process engine', () => {
    writeFileSync(
      join(dir, 'engine.mjs'),
      [
        "import { createTestEngine } from 'tributary/testing';",
        'const engine = createTestEngine();',
        "await engine.client.putDefinition('flow', 'tasks:\\n  - name: A\\n  - name: B\\n    needs: [A]\\n');",
        "const { process } = await engine.client.startProcess({ definition: 'flow' });",
        'engine.worker({ handler: async ({ task }) => ({ task }) });',
        'await engine.runUntilIdle();',
        'console.log((await engine.client.getProcess(process.id)).status);',
      ].join('\n'),
    );
    expect(run(process.execPath, ['engine.mjs'], dir).trim()).toBe('COMPLETED');
  });

  it('type-checks and synthesizes the ESM app', () => {
    run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', '.'], join(dir, 'esm-app'));
    run(process.execPath, ['out/app.js', 'cdk.out'], join(dir, 'esm-app'));
    expectSynthesized(join(dir, 'esm-app/cdk.out'));
  });
});

/** The user's stack holds Tributary's functions, with the prebuilt code as assets, and the worker wiring. */
function expectSynthesized(outdir: string): void {
  const template = JSON.parse(readFileSync(join(outdir, 'UserStack.template.json'), 'utf8')) as Template;
  const resources = Object.values(template.Resources);
  const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function');
  // health, read, control, worker, sweeper, scheduler, start-queue consumer, and the user's worker.
  expect(functions).toHaveLength(8);
  const assets = readdirSync(outdir).filter((f) => f.startsWith('asset.'));
  expect(assets.filter((a) => existsSync(join(outdir, a, 'index.mjs')))).toHaveLength(7);
  // Source maps stay out of the functions unless enableSourceMaps is set.
  expect(assets.filter((a) => existsSync(join(outdir, a, 'index.mjs.map')))).toEqual([]);
  // Two work queues and their DLQs, and the start queue and its DLQ.
  expect(resources.filter((r) => r.Type === 'AWS::SQS::Queue')).toHaveLength(6);
  const routes = resources.filter((r) => r.Type === 'AWS::ApiGatewayV2::Route').map((r) => r.Properties);
  expect(routes.filter((r) => r.AuthorizationType === 'JWT').map((r) => r.AuthorizationScopes).flat()).toContain('tributary/work');
  expect(routes.filter((r) => r.AuthorizationType === 'AWS_IAM').map((r) => r.RouteKey)).toContain('POST /iam/processes/{id}/tasks/{task}/claim');
  // The user's worker, and the start queue's consumer.
  expect(resources.filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')).toHaveLength(2);
  const workerEnv = functions.map((f) => (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}).find((v) => 'TRIBUTARY_API_URL' in v);
  expect(JSON.stringify(workerEnv)).toContain('iam');
}
