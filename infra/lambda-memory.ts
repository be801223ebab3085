/**
 * Memory of every function the construct deploys, in MB. One constant, so that the bench prices Lambda compute
 * (GB-seconds) at the setting a deployment runs with.
 */
export const LAMBDA_MEMORY_MB = 512;
