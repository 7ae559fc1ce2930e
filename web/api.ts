/** The page's side of the HTTP API (docs/api.md): JSON requests and the live event stream. */

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await response.json().catch(() => ({}))) as T & { error?: string };
  if (!response.ok) throw new ApiRequestError(response.status, body.error ?? `HTTP ${response.status}`);
  return body;
}

export type StreamState = 'connecting' | 'live' | 'reconnecting';

/**
 * Listens to `/api/events` (or another stream path) for the named event types. The browser's
 * EventSource reconnects by itself; `onState` hears when the stream drops and comes back,
 * so the page can say so and reload what it may have missed.
 */
export function listen(
  path: string,
  types: readonly string[],
  onEvent: (type: string, data: unknown) => void,
  onState: (state: StreamState) => void,
): () => void {
  const source = new EventSource(path);
  onState('connecting');
  source.onopen = () => onState('live');
  source.onerror = () => onState('reconnecting');
  for (const type of types) {
    source.addEventListener(type, (event) => onEvent(type, JSON.parse((event as MessageEvent<string>).data)));
  }
  return () => source.close();
}
