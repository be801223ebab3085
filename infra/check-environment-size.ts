import { Token } from 'aws-cdk-lib';
import { TributaryPropsError } from './check-tributary-props.ts';

/** Lambda's limit on a function's environment: keys and values together. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * Longest a queue URL can be once deployed: `https://sqs.` + region (≤ 20) +
 * `.amazonaws.com/` + account (12) + `/` + a CloudFormation-generated name (≤ 80).
 */
export const MAX_QUEUE_URL_LENGTH = 140;

/** Assumed length of any other value only known at deploy time (a generated table name). */
const UNRESOLVED_VALUE_LENGTH = 256;

/**
 * The worst-case size of the `TRIBUTARY_QUEUE_URLS` JSON: it grows with the
 * number of queues, and its URLs are tokens at synth time.
 */
export function queueUrlsWorstCaseBytes(queueNames: readonly string[]): number {
  return 2 + queueNames.reduce((sum, name) => sum + Buffer.byteLength(name) + MAX_QUEUE_URL_LENGTH + 6, 0);
}

/**
 * Fails synthesis when a function's environment could exceed Lambda's 4 KB
 * limit once deployed, instead of failing the CloudFormation deployment.
 * `worstCase` gives the size of values that are tokens now (by variable name).
 *
 * @throws {@link TributaryPropsError} naming the function and its largest variable
 */
export function checkEnvironmentSize(functionName: string, environment: Readonly<Record<string, string>>, worstCase: Readonly<Record<string, number>> = {}): void {
  const sizes = Object.entries(environment).map(([key, value]) => {
    const valueBytes = Token.isUnresolved(value) ? (worstCase[key] ?? UNRESOLVED_VALUE_LENGTH) : Buffer.byteLength(value);
    return [key, Buffer.byteLength(key) + valueBytes] as const;
  });
  const total = sizes.reduce((sum, [, bytes]) => sum + bytes, 0);
  if (total > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    const [largest] = [...sizes].sort((a, b) => b[1] - a[1]);
    throw new TributaryPropsError(
      `the environment of function ${functionName} may reach ${total} bytes once deployed, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit; ` +
        `the largest is ${largest![0]} (${largest![1]} bytes): configure fewer or shorter-named queues`,
    );
  }
}
