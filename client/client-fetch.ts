/** What the client reads of a response: its status, one header (`retry-after`) and its body as text. */
export interface ClientFetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/**
 * The `fetch` the client calls: `globalThis.fetch`, {@link sigv4Fetch}, or anything that answers a URL and a
 * `RequestInit` with a {@link ClientFetchResponse}. The test engine's in-process fetch answers with a plain object,
 * so a call does not build a `Response` and its body stream only to read the text back.
 */
export type ClientFetch = (url: string, init: RequestInit) => Promise<ClientFetchResponse>;
