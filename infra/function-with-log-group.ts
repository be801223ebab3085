import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_MEMORY_MB } from './lambda-memory.ts';

/** The repository root: route entries in `#config/routes.ts` are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where the published package keeps the Lambda bundles that `npm run build`
 * made: `dist/lambda/<entry name>/index.mjs`, next to `dist/cdk/`, where this
 * module is bundled. In the repository (`infra/`) this directory does not
 * exist, so the repository's own synth bundles the sources instead and never
 * picks up a stale build.
 */
const PREBUILT_LAMBDA_DIR = fileURLToPath(new URL('../lambda/', import.meta.url));

/** The directory name of an entry's prebuilt bundle: `functions/api/read-routes.ts` → `read-routes`. */
export function bundleName(entry: string): string {
  return basename(entry).replace(/\.[cm]?[jt]s$/, '');
}

/** The prebuilt bundle of `entry` shipped in the package, if this is the package; its source map only when used. */
function prebuiltCode(entry: string, sourceMaps: boolean): lambda.Code | undefined {
  const dir = join(PREBUILT_LAMBDA_DIR, bundleName(entry));
  return existsSync(join(dir, 'index.mjs')) ? lambda.Code.fromAsset(dir, sourceMaps ? {} : { exclude: ['*.map'] }) : undefined;
}

/**
 * Builds function code from a handler entry (relative to the repository root)
 * instead of bundling it. The code must serve `index.handler`.
 */
export type CodeFactory = (entry: string) => lambda.Code;

export interface FunctionWithLogGroupProps {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /**
   * Async invocations (EventBridge) retry this many times.
   * @default 2 (the Lambda default)
   */
  readonly retryAttempts?: number;
  /** @default - the prebuilt bundle shipped in the package, else bundle `entry` with the local esbuild */
  readonly codeFactory?: CodeFactory;
  /**
   * Ship the source map and set `NODE_OPTIONS=--enable-source-maps`.
   * @default false
   */
  readonly sourceMaps?: boolean;
}

/**
 * How the repository bundles a handler when it synthesizes from source. The
 * package build (`scripts/build.ts`) uses the same settings, so the shipped
 * bundles are the ones the repository's tests and synth exercise.
 */
export const LAMBDA_BUNDLING = {
  format: OutputFormat.ESM,
  mainFields: ['module', 'main'],
  // Bundled CommonJS dependencies call require(), which ESM lacks.
  banner: "import { createRequire as __tributaryCreateRequire } from 'node:module'; const require = __tributaryCreateRequire(import.meta.url);",
  // Ship the pinned SDK the tests ran against, not whatever version the runtime carries.
  bundleAwsSDK: true,
  minify: true,
  // Readable stack traces when `enableSourceMaps` sets NODE_OPTIONS; the map
  // omits the sources themselves, which would triple the asset size.
  sourceMap: true,
  sourcesContent: false,
};

/**
 * One Lambda function with its own log group and its own role. The explicit log
 * group carries a retention and a removal policy; the explicit role gets write
 * access to that log group only, instead of the AWS managed
 * `AWSLambdaBasicExecutionRole`, which allows writing to every log group.
 */
export class FunctionWithLogGroup extends Construct {
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: FunctionWithLogGroupProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    const options: lambda.FunctionOptions = {
      description: props.description,
      architecture: lambda.Architecture.ARM_64,
      memorySize: LAMBDA_MEMORY_MB,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      retryAttempts: props.retryAttempts,
      environment: { ...props.environment, ...(props.sourceMaps === true ? { NODE_OPTIONS: '--enable-source-maps' } : {}) },
    };
    const code = props.codeFactory ? props.codeFactory(props.entry) : prebuiltCode(props.entry, props.sourceMaps === true);
    this.function = code
      ? new lambda.Function(this, 'Function', { ...options, runtime: lambda.Runtime.NODEJS_24_X, code, handler: 'index.handler' })
      : new NodejsFunction(this, 'Function', {
          ...options,
          runtime: lambda.Runtime.NODEJS_24_X,
          entry: join(REPO_ROOT, props.entry),
          handler: 'handler',
          projectRoot: REPO_ROOT,
          depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
          bundling: { ...LAMBDA_BUNDLING, sourceMap: props.sourceMaps === true },
        });

    // Tracing ACTIVE adds xray:PutTraceSegments and xray:PutTelemetryRecords on
    // "*" to the role. The acknowledgement sits on this role alone, so any other
    // wildcard that reaches it still fails cdk-nag.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so AWS requires Resource "*" for active tracing; these are the only actions on "*".',
    });
  }
}
