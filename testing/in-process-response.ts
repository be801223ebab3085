import type { ClientFetchResponse } from '../client/client-fetch.ts';

/**
 * A handler's answer as the client reads it (status, headers by case-insensitive name, body text), without a
 * `Response`: building one wraps the body in a stream that the client then reads back, which cost more CPU per
 * call than some of the handlers it carries.
 */
export function inProcessResponse(status: number, body: string | undefined, headers: Readonly<Record<string, string>> = {}): ClientFetchResponse {
  let byName: Map<string, string> | undefined;
  let read = false;
  return {
    status,
    headers: {
      get: (name) => {
        byName ??= new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
        return byName.get(name.toLowerCase()) ?? null;
      },
    },
    text: async () => {
      // As a Response's body: read once.
      if (read) throw new TypeError('Body is unusable: Body has already been read');
      read = true;
      return body ?? '';
    },
  };
}
