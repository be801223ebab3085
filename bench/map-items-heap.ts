/**
 * `npm run bench:map-items`: does reading a map's items from S3 stream? It puts a 50 MB JSON Lines object on an
 * in-process s3rver, then reads every item through the S3 map item source (the adapter the handlers use), keeping
 * none, while sampling `process.memoryUsage().heapUsed` (after `gc()` at the start). It prints the peak growth over
 * that start and exits 1 above 64 MB: the issue's bound. The emulator runs in this process, so its own heap counts
 * too (an overestimate of the handler's). Run with `node --expose-gc --import tsx`, as the npm script does. Not part
 * of `npm test`: a benchmark, not a timed test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '#adapters/aws-clients.ts';
import { S3MapItemSource } from '#adapters/s3/s3-map-item-source.ts';
import { DUMMY_CREDENTIALS } from '../local/aws-env.ts';
import { startS3Emulator } from '../local/s3-emulator.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const OBJECT_BYTES = 50 * 1024 * 1024;
const LIMIT_BYTES = 64 * 1024 * 1024;
const BUCKET = 'bench-map-items';
const KEY = 'rows.jsonl';
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (npm run bench:map-items does)');
  process.exit(2);
}

/** About 50 MB of JSON Lines: rows of about 500 bytes, with multi-byte text. */
function jsonLines(): { body: Buffer; lines: number } {
  const parts: Buffer[] = [];
  let size = 0;
  let lines = 0;
  while (size < OBJECT_BYTES) {
    const line = Buffer.from(`${JSON.stringify({ id: lines, customer: `customer-${String(lines).padStart(7, '0')}`, city: 'Zürich', tags: ['a', 'b', 'c'], note: 'x'.repeat(400) })}\n`);
    parts.push(line);
    size += line.length;
    lines += 1;
  }
  return { body: Buffer.concat(parts), lines };
}

// The reader signs with the local stack's dummy keys, unless real ones are set (s3rver accepts any it knows).
process.env.AWS_ACCESS_KEY_ID ??= DUMMY_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY ??= DUMMY_CREDENTIALS.secretAccessKey;
const directory = await mkdtemp(join(tmpdir(), 'tributary-bench-s3-'));
const emulator = await startS3Emulator({ port: 0, hostname: '127.0.0.1', directory, accessKeyIds: [DUMMY_CREDENTIALS.accessKeyId, process.env.AWS_ACCESS_KEY_ID] });
const region = 'us-east-1';
const admin = new S3Client({ endpoint: emulator.endpoint, region, forcePathStyle: true, credentials: DUMMY_CREDENTIALS });
const reader = createS3Client({ s3Endpoint: emulator.endpoint, region });
let exitCode = 0;
try {
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  let expected: number;
  let objectBytes: number;
  {
    // In a block, so that the 50 MB body is garbage before the baseline is taken.
    const { body, lines } = jsonLines();
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body }));
    expected = lines;
    objectBytes = body.length;
  }
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  // Both: every 1,000 items, and on a timer (a slow chunk between items would otherwise go unseen).
  const timer = setInterval(sample, 5);
  const started = performance.now();
  let items = 0;
  for await (const { item } of new S3MapItemSource(reader).read({ bucket: BUCKET, key: KEY, format: 'jsonl', maxItemBytes: 256 * 1024 })) {
    if ((item as { id: number }).id !== items) throw new Error(`item ${items} came out of order`);
    items += 1;
    if (items % 1000 === 0) sample();
  }
  sample();
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  const growth = peak - baseline;
  console.log(
    `read ${items} items (${(objectBytes / MB).toFixed(1)} MB of JSON Lines) from s3rver in ${seconds.toFixed(1)} s; ` +
      `peak heap growth ${(growth / MB).toFixed(1)} MB over ${(baseline / MB).toFixed(1)} MB after gc (bound ${LIMIT_BYTES / MB} MB)`,
  );
  if (items !== expected) {
    console.error(`expected ${expected} items`);
    exitCode = 1;
  } else if (growth > LIMIT_BYTES) {
    console.error(`FAIL: the heap grew by more than ${LIMIT_BYTES / MB} MB`);
    exitCode = 1;
  }
} finally {
  admin.destroy();
  reader.destroy();
  await emulator.stop();
  await rm(directory, { recursive: true, force: true });
}
process.exit(exitCode);
