import { z } from 'zod';
import { ValidationError } from '#domain/errors.ts';

export type { Page } from '#app/ports.ts';

const KeySchema = z.record(z.string(), z.union([z.string(), z.number()]));

/** Opaque pagination token: the query's LastEvaluatedKey, base64url-encoded JSON. */
export function encodePageToken(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url') : undefined;
}

/** Decodes a token from a client; a malformed one is a 400, not a 500. */
export function decodePageToken(token: string | undefined): Record<string, string | number> | undefined {
  if (token === undefined) return undefined;
  try {
    return KeySchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch (e) {
    throw new ValidationError('nextToken is not a token this API issued', [{ path: 'query.nextToken', message: 'malformed token' }], { cause: e });
  }
}
