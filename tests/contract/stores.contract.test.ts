import { dynamoAdapter, memoryAdapter } from './adapters.ts';
import { Observations } from './observations.ts';
import { defineStoreContract } from './store-contract.ts';

/**
 * One store contract, two adapters: the DynamoDB one on DynamoDB Local and
 * the in-memory one. Each must pass the contract's assertions, and then both
 * must have answered every scenario alike: any behaviour that differs between
 * them fails a test.
 */
const seen = new Observations();

defineStoreContract('dynamodb', dynamoAdapter('contract'), seen);
defineStoreContract('memory', memoryAdapter(), seen);
seen.defineAgreement('the in-memory adapter answers every scenario as the DynamoDB one does', ['dynamodb', 'memory']);
