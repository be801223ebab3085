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
}

/** Dollars per million tasks, by service. Lambda compute is left out: see BENCHMARKS.md. */
export function costPerMillionTasks(p: PerTask): Record<string, number> {
  const dynamo = p.dynamoWriteUnits * PRICES.dynamoWriteUnit + p.dynamoReadUnits * PRICES.dynamoReadUnit;
  const sqs = p.sqsRequests * PRICES.sqsRequest;
  const api = p.apiRequests * PRICES.apiRequest;
  const lambda = p.lambdaInvocations * PRICES.lambdaRequest;
  return {
    dynamodb: dynamo * 1e6,
    sqs: sqs * 1e6,
    apiGateway: api * 1e6,
    lambdaRequests: lambda * 1e6,
    total: (dynamo + sqs + api + lambda) * 1e6,
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
