/**
 * Calls the Tributary API on the console's own origin: `npm start` serves
 * both, and `tributary console` proxies API paths (signing them), so the
 * browser never holds a credential and needs no CORS.
 */

/** An API error as the console shows it: the code and the message, never a blank page. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Sends one request and answers the parsed JSON body; a non-2xx answer throws {@link ApiError}. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ApiError(0, 'NetworkError', `the API did not answer: ${(error as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: unknown }; message?: string } | undefined) ?? {};
    throw new ApiError(
      res.status,
      error.error?.code ?? `HTTP${res.status}`,
      error.error?.message ?? error.message ?? (text.slice(0, 300) || res.statusText),
      error.error?.details,
    );
  }
  return parsed as T;
}

/** A path segment, percent-encoded (task names may hold spaces and slashes). */
export const enc = encodeURIComponent;

/** A query string from the defined values, with its `?`; empty when there are none. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '');
  return entries.length === 0 ? '' : `?${entries.map(([k, v]) => `${enc(k)}=${enc(String(v))}`).join('&')}`;
}

/** Positions from the console server's layout endpoint (elkjs runs there, see console/layout-graph.ts). */
export interface Layout {
  width: number;
  height: number;
  nodes: Record<string, { x: number; y: number }>;
  edges: { from: string; to: string; points: { x: number; y: number }[]; label?: string }[];
}

export function layout(request: { nodes: { id: string; width: number; height: number }[]; edges: { from: string; to: string; label?: string }[] }): Promise<Layout> {
  return api<Layout>('POST', '/console/layout', request);
}
