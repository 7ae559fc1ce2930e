/**
 * devnet's network view (docs/api.md, "Network view"): one page that shows the block trees
 * of several nodes merged, with each node's head marked, so forks and their resolution can
 * be watched across a network. Given the API base URLs of the nodes, it serves the page,
 * passes the page's tree and block requests through to one node (chosen by index, never by
 * a URL from the request), and merges the nodes' event streams into one, each event tagged
 * with its node. A node that goes away is reported down and reconnected with backoff.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { EventHub } from './events.js';
import { type HttpOptions, createHttpServer, registerPage } from './http.js';
import { EVENT_HEARTBEAT_MS, MAX_EVENT_BACKLOG_BYTES, MAX_EVENT_CLIENTS, MAX_EVENT_CLIENTS_PER_IP } from './limits.js';
import { type HashParams, type TreeQuery, emptyQuery, hashParams, treeQuery } from './schemas.js';
import { type ListenOptions, type RunningServer, listen } from './server.js';
import type { ApiStatus } from './source.js';
import { readSse } from './sse-reader.js';

export interface NetworkViewNode {
  /** Shown on the page, e.g. "node 1" or the node's UDP address. */
  name: string;
  /** The node's API base, e.g. "http://127.0.0.1:5001". */
  url: string;
}

export interface NetworkViewOptions extends HttpOptions, ListenOptions {
  nodes: NetworkViewNode[];
  /** How long a request to a node may take (default 3 s). */
  requestTimeoutMs?: number;
  /** Longest wait before reconnecting to a node's events (default 5 s). */
  maxRetryMs?: number;
}

/** What the page gets for each node from `/api/network`. */
export interface NetworkNodeInfo {
  index: number;
  name: string;
  url: string;
  up: boolean;
  status: ApiStatus | null;
}

/** An event of the merged stream: `{"node": i, ...}` with the node's event, or a node's state. */
export type NetworkEvent =
  | { type: 'node'; node: number; up: boolean }
  | ({ node: number } & { type: 'head' | 'block' | 'hashrate' | 'tx'; [field: string]: unknown });

type Listener = (event: NetworkEvent) => void;

/** Follows one node's event stream, reconnecting with backoff until stopped. */
class NodeFeed {
  up = false;
  readonly #index: number;
  readonly #url: string;
  readonly #emit: Listener;
  readonly #maxRetryMs: number;
  #abort: AbortController | undefined;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(index: number, url: string, emit: Listener, maxRetryMs: number) {
    this.#index = index;
    this.#url = url;
    this.#emit = emit;
    this.#maxRetryMs = maxRetryMs;
  }

  start(): void {
    void this.#run(250);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#abort?.abort();
  }

  async #run(retryMs: number): Promise<void> {
    if (this.#stopped) return;
    this.#abort = new AbortController();
    let nextRetry = Math.min(retryMs * 2, this.#maxRetryMs);
    try {
      const response = await fetch(`${this.#url}/api/events`, {
        signal: this.#abort.signal,
        headers: { accept: 'text/event-stream' },
      });
      if (response.status === 200 && response.body) {
        this.#setUp(true);
        nextRetry = 250;
        await readSse(response.body as unknown as AsyncIterable<Uint8Array>, ({ type, data }) => {
          if (type === 'head' || type === 'block' || type === 'hashrate' || type === 'tx') {
            this.#emit({ ...(data as object), type, node: this.#index });
          }
        });
      } else {
        await response.body?.cancel();
      }
    } catch {
      // Refused, reset, aborted or malformed: the node is down until a stream opens again.
    }
    this.#setUp(false);
    if (!this.#stopped) this.#retryTimer = setTimeout(() => void this.#run(nextRetry), retryMs);
  }

  #setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.#emit({ type: 'node', node: this.#index, up });
  }
}

function refuse(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error });
}

export async function createNetworkView(options: NetworkViewOptions): Promise<FastifyInstance> {
  const nodes = options.nodes.map((node) => ({ ...node, url: node.url.replace(/\/+$/, '') }));
  const timeoutMs = options.requestTimeoutMs ?? 3_000;
  const listeners = new Set<Listener>();
  const broadcast: Listener = (event) => {
    for (const listener of listeners) listener(event);
  };
  const feeds = nodes.map((node, index) => new NodeFeed(index, node.url, broadcast, options.maxRetryMs ?? 5_000));
  const hub = new EventHub(
    {
      subscribe: (listener: Listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    {
      maxClients: MAX_EVENT_CLIENTS,
      maxClientsPerAddress: MAX_EVENT_CLIENTS_PER_IP,
      maxBacklogBytes: MAX_EVENT_BACKLOG_BYTES,
      heartbeatMs: EVENT_HEARTBEAT_MS,
    },
  );

  const app = await createHttpServer(options);
  app.addHook('onReady', async () => {
    for (const feed of feeds) feed.start();
  });
  app.addHook('preClose', async () => {
    for (const feed of feeds) feed.stop();
    hub.close();
  });

  /** Asks node `index` for `path`; answers with the node's status and JSON, or 502 with a reason. */
  const relay = async (reply: FastifyReply, index: number, path: string): Promise<FastifyReply> => {
    const node = nodes[index];
    if (!node) return refuse(reply, 404, `no node ${index}: there are ${nodes.length}`);
    try {
      const response = await fetch(`${node.url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = await response.text();
      return reply.code(response.status).type('application/json; charset=utf-8').send(body);
    } catch (error) {
      return refuse(reply, 502, `${node.name} (${node.url}) did not answer: ${(error as Error).message}`);
    }
  };

  const statusOf = async (url: string): Promise<ApiStatus | null> => {
    try {
      const response = await fetch(`${url}/api/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return response.ok ? ((await response.json()) as ApiStatus) : null;
    } catch {
      return null;
    }
  };

  app.get('/api/network', { schema: { querystring: emptyQuery } }, async () => {
    const statuses = await Promise.all(nodes.map((node) => statusOf(node.url)));
    const info: NetworkNodeInfo[] = nodes.map((node, index) => ({
      index,
      name: node.name,
      url: node.url,
      up: feeds[index]!.up,
      status: statuses[index] ?? null,
    }));
    return { nodes: info };
  });

  const indexParams = {
    type: 'object',
    properties: { index: { type: 'string', pattern: '^(0|[1-9][0-9]{0,3})$' } },
    required: ['index'],
    additionalProperties: false,
  } as const;
  app.get<{ Params: { index: string }; Querystring: TreeQuery }>(
    '/api/nodes/:index/tree',
    { schema: { params: indexParams, querystring: treeQuery } },
    (request, reply) => {
      const since = request.query.since;
      return relay(reply, Number(request.params.index), `/api/tree${since === undefined ? '' : `?since=${since}`}`);
    },
  );
  app.get<{ Params: { index: string } & HashParams }>(
    '/api/nodes/:index/blocks/:hash',
    {
      schema: {
        params: {
          ...indexParams,
          properties: { ...indexParams.properties, ...hashParams.properties },
          required: ['index', 'hash'],
        },
        querystring: emptyQuery,
      },
    },
    (request, reply) => relay(reply, Number(request.params.index), `/api/blocks/${request.params.hash.toLowerCase()}`),
  );

  app.get('/api/events', { schema: { querystring: emptyQuery } }, (request, reply) => {
    const refusal = hub.refusal(request.ip);
    if (refusal) return refuse(reply, 503, refusal);
    reply.hijack();
    request.raw.socket.setTimeout(0);
    hub.open(reply.raw, request.ip);
    return reply;
  });

  registerPage(app, 'network.html', options);
  return app;
}

/** Creates and starts the network view: what `powchain devnet --web` calls. */
export async function startNetworkView(options: NetworkViewOptions): Promise<RunningServer> {
  return listen(await createNetworkView(options), options);
}
