import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '#adapters/aws-clients.ts';
import { MemoryMapItemSource } from '#adapters/memory/memory-map-item-source.ts';
import { S3MapItemSource } from '#adapters/s3/s3-map-item-source.ts';
import { createTestBucket, s3Client, testEmulators } from '../support/clients.ts';
import { defineMapItemSourceContract } from './map-item-source.contract.ts';

/**
 * One map item source contract, two adapters: the S3 one on s3rver (through the same client factory the handlers
 * use) and the in-memory twin, in small chunks so that items cross chunk boundaries there too.
 */
defineMapItemSourceContract('s3', async () => {
  const admin = s3Client();
  const bucket = await createTestBucket(admin, 'map-items');
  const { s3Endpoint, region } = testEmulators();
  const client = createS3Client({ s3Endpoint, region });
  return {
    source: new S3MapItemSource(client),
    bucket,
    put: async (key, body) => void (await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))),
    close: () => {
      client.destroy();
      admin.destroy();
    },
  };
});

defineMapItemSourceContract('memory', () => {
  const source = new MemoryMapItemSource({ chunkBytes: 7 });
  return Promise.resolve({
    source,
    bucket: 'memory-bucket',
    put: (key, body) => Promise.resolve(source.putObject('memory-bucket', key, body)),
    close: () => undefined,
  });
});
