import { ValidationError } from '#domain/errors.ts';

/**
 * A client-supplied page token that decodes but names keys of another index
 * makes DynamoDB answer ValidationException: that is the client's 400, not our 500.
 */
export async function withPageTokenErrors<T>(nextToken: string | undefined, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (nextToken !== undefined && (error as Error).name === 'ValidationException') {
      throw new ValidationError('nextToken does not belong to this listing', [{ path: 'query.nextToken', message: 'foreign token' }], {
        cause: error,
      });
    }
    throw error;
  }
}
