/**
 * Server-sent events (`GET /api/events`, docs/api.md): one subscription to the source fans
 * out to every open stream. Bounded on every side: a fixed number of streams (in all and per
 * client address), and a stream whose unsent bytes pile up past a limit (a reader that
 * stopped reading) is closed rather than buffered without end. Each event is serialized
 * once, whatever the number of streams.
 */
import type { ServerResponse } from 'node:http';

export interface EventHubLimits {
  maxClients: number;
  maxClientsPerAddress: number;
  maxBacklogBytes: number;
  heartbeatMs: number;
}

interface EventClient {
  readonly response: ServerResponse;
  readonly address: string;
}

/** One SSE frame: `event: <type>` and the JSON on one `data:` line (JSON has no raw newlines). */
export function formatEvent(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Where events come from: an ApiSource, or the network view's merged node streams. */
export interface EventFeed {
  subscribe(listener: (event: { type: string }) => void): () => void;
}

export class EventHub {
  readonly #clients = new Set<EventClient>();
  readonly #limits: EventHubLimits;
  readonly #source: EventFeed;
  #unsubscribe: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(source: EventFeed, limits: EventHubLimits) {
    this.#source = source;
    this.#limits = limits;
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Why a stream for a client at `address` cannot be opened now, or undefined when it can. */
  refusal(address: string): string | undefined {
    if (this.#clients.size >= this.#limits.maxClients) {
      return `too many event streams open (at most ${this.#limits.maxClients})`;
    }
    let fromAddress = 0;
    for (const client of this.#clients) if (client.address === address) fromAddress++;
    if (fromAddress >= this.#limits.maxClientsPerAddress) {
      return `too many event streams from one address (at most ${this.#limits.maxClientsPerAddress})`;
    }
    return undefined;
  }

  /**
   * Starts a stream on `response` (headers not yet sent) for a client at `address`; the
   * caller asked refusal() first. The stream ends when the client goes away or close() is called.
   */
  open(response: ServerResponse, address: string): void {
    const refusal = this.refusal(address);
    if (refusal) throw new Error(`EventHub.open without room: ${refusal}`);
    const client: EventClient = { response, address };
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tells a proxy in front (nginx) not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    // The browser's EventSource retries after this many ms when the stream drops.
    response.write('retry: 2000\n\n');
    this.#clients.add(client);
    const close = (): void => this.#drop(client);
    response.on('close', close);
    response.on('error', close);
    this.#start();
  }

  /** Ends every stream and the subscription. */
  close(): void {
    for (const client of [...this.#clients]) this.#drop(client);
  }

  #start(): void {
    this.#unsubscribe ??= this.#source.subscribe((event) => this.#broadcast(event));
    this.#heartbeat ??= setInterval(() => this.#send(': heartbeat\n\n'), this.#limits.heartbeatMs);
    this.#heartbeat.unref();
  }

  #broadcast(event: { type: string }): void {
    this.#send(formatEvent(event.type, event));
  }

  #send(frame: string): void {
    for (const client of [...this.#clients]) {
      if (client.response.writableLength > this.#limits.maxBacklogBytes) {
        this.#drop(client);
        continue;
      }
      client.response.write(frame);
    }
  }

  #drop(client: EventClient): void {
    if (!this.#clients.delete(client)) return;
    if (!client.response.writableEnded) client.response.end();
    // Nobody listening: stop the subscription and the timer, so an idle API costs nothing.
    if (this.#clients.size === 0) {
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }
}
