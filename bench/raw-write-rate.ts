/**
 * The emulator's own ceiling, for reading `npm run bench`: conditional puts
 * per second on DynamoDB Local, each carrying a sweep-index entry, at the
 * handlers' write concurrency. Run: `node --import tsx bench/raw-write-rate.ts`.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { DUMMY_CREDENTIALS } from '../local/aws-env.ts';
import { createResources } from '../local/create-resources.ts';
import { startEmulators } from '../local/emulators.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID ??= DUMMY_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY ??= DUMMY_CREDENTIALS.secretAccessKey;

const WRITES = 1000;
const CONCURRENCY = 32;
const emulators = await startEmulators({ env: {} });
try {
  const { tableName } = await createResources({ ...emulators, tableName: `raw-${Date.now()}` });
  const db = createDocumentClient({ region: emulators.region, dynamodbEndpoint: emulators.dynamodbEndpoint });
  // Round 0 warms the JVM; round 1 is the steady rate.
  for (const round of [0, 1]) {
    const started = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < WRITES) {
        const i = next++;
        await db.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: `raw-${round}-${i}`, sk: 'x', sweepShard: 'S#1', sweepAt: i },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const rate = WRITES / ((performance.now() - started) / 1000);
    console.log(`round ${round}: ${WRITES} conditional puts at concurrency ${CONCURRENCY}: ${rate.toFixed(0)} writes/s`);
  }
} finally {
  await emulators.stop();
}
