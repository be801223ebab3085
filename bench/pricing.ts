/**
 * us-east-1 list prices (from ../shared/ENVIRONMENT.md), in dollars per unit.
 * DynamoDB on-demand: writes per 1 KB unit, strongly consistent reads per 4 KB unit.
 */
export const PRICES = {
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  apiRequest: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  stepFunctionsTransition: 25 / 1e6,
} as const;

export interface PerTask {
  readonly dynamoWriteUnits: number;
  readonly dynamoReadUnits: number;
  readonly sqsRequests: number;
  readonly apiRequests: number;
  /** Lambda invocations: one per API request, plus the sweeper's share (negligible at load). */
  readonly lambdaInvocations: number;
  /** What the functions compute per task, priced as Lambda GB-seconds (issue 19, part 3). @default none: no compute column */
  readonly compute?: ComputePerTask;
}

/**
 * A task's share of the API functions' run time, from what a deployment would run: the handlers' CPU as measured on
 * the in-memory engine (`bench/engine-cpu.ts`), plus a modelled wait for each call they make to DynamoDB and SQS.
 */
export interface ComputePerTask {
  /** CPU (user + system) of the handlers, µs per task. */
  readonly cpuMicros: number;
  /** DynamoDB calls the handlers make per task. */
  readonly dynamoCalls: number;
  /** SQS calls the handlers make per task. */
  readonly sqsCalls: number;
  /** The functions' memory setting (the construct's, `infra/lambda-memory.ts`), MB. */
  readonly memoryMb: number;
}

/** The modelled wait of one call, ms: a DynamoDB request and an SQS request from a Lambda function in the same region. */
export const CALL_WAIT_MS = { dynamo: 5, sqs: 10 } as const;

/** Seconds of Lambda run time per task: the handlers' CPU plus the calls' modelled wait. */
export function lambdaSecondsPerTask(c: ComputePerTask): number {
  return c.cpuMicros / 1e6 + (c.dynamoCalls * CALL_WAIT_MS.dynamo + c.sqsCalls * CALL_WAIT_MS.sqs) / 1000;
}

/** Dollars of Lambda compute per task: its run time at the memory setting, in GB-seconds on arm64 (1 GB = 1,024 MB). */
export function lambdaComputePerTask(c: ComputePerTask): number {
  return lambdaSecondsPerTask(c) * (c.memoryMb / 1024) * PRICES.lambdaGbSecondArm;
}

/** Dollars per million tasks, by service; Lambda compute (`lambdaCompute`) when `p.compute` gives it, else 0. */
export function costPerMillionTasks(p: PerTask): Record<string, number> {
  const dynamo = p.dynamoWriteUnits * PRICES.dynamoWriteUnit + p.dynamoReadUnits * PRICES.dynamoReadUnit;
  const sqs = p.sqsRequests * PRICES.sqsRequest;
  const api = p.apiRequests * PRICES.apiRequest;
  const lambda = p.lambdaInvocations * PRICES.lambdaRequest;
  const compute = p.compute ? lambdaComputePerTask(p.compute) : 0;
  return {
    dynamodb: dynamo * 1e6,
    sqs: sqs * 1e6,
    apiGateway: api * 1e6,
    lambdaRequests: lambda * 1e6,
    lambdaCompute: compute * 1e6,
    total: (dynamo + sqs + api + lambda + compute) * 1e6,
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
