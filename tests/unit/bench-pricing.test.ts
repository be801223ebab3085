import { describe, expect, it } from 'vitest';
import { CALL_WAIT_MS, costPerMillionTasks, lambdaComputePerTask, lambdaSecondsPerTask, type ComputePerTask } from '../../bench/pricing.ts';
import { LAMBDA_MEMORY_MB } from '../../infra/lambda-memory.ts';

// Issue 19, part 3: the bench's price of a task, Lambda compute included. Fixed inputs, dollars worked out by hand.
const compute: ComputePerTask = { cpuMicros: 1000, dynamoCalls: 10, sqsCalls: 1, memoryMb: 512 };

describe('the bench pricing model', () => {
  it('models a task’s Lambda run time as its CPU plus 5 ms per DynamoDB call and 10 ms per SQS call', () => {
    expect(CALL_WAIT_MS).toEqual({ dynamo: 5, sqs: 10 });
    // 1 ms of CPU + 10 × 5 ms + 1 × 10 ms
    expect(lambdaSecondsPerTask(compute)).toBeCloseTo(0.061, 12);
  });

  it('prices the run time as GB-seconds on arm64 at the memory setting', () => {
    // 0.061 s × 0.5 GB × $0.0000133334 per GB-s
    expect(lambdaComputePerTask(compute)).toBeCloseTo(4.0666870e-7, 15);
    expect(lambdaComputePerTask({ ...compute, memoryMb: 1024 })).toBeCloseTo(8.133374e-7, 15);
  });

  it('adds compute to the dollars per million tasks, in its own column', () => {
    const cost = costPerMillionTasks({ dynamoWriteUnits: 5, dynamoReadUnits: 2, sqsRequests: 3, apiRequests: 2, lambdaInvocations: 2, compute });
    expect(cost.dynamodb).toBeCloseTo(3.375, 9); // 5 × $0.625 + 2 × $0.125
    expect(cost.sqs).toBeCloseTo(1.2, 9);
    expect(cost.apiGateway).toBeCloseTo(2, 9);
    expect(cost.lambdaRequests).toBeCloseTo(0.4, 9);
    expect(cost.lambdaCompute).toBeCloseTo(0.4066687, 6);
    expect(cost.total).toBeCloseTo(7.3816687, 6);
  });

  it('leaves compute at 0 when no measurement is given', () => {
    const cost = costPerMillionTasks({ dynamoWriteUnits: 5, dynamoReadUnits: 2, sqsRequests: 3, apiRequests: 2, lambdaInvocations: 2 });
    expect(cost.lambdaCompute).toBe(0);
    expect(cost.total).toBeCloseTo(6.975, 9);
  });

  it('prices at the memory the construct deploys its functions with', () => {
    expect(LAMBDA_MEMORY_MB).toBe(512);
  });
});
