/**
 * A node's HTTP API and web page (docs/api.md): builds the server around an ApiSource and
 * starts it on an address (loopback by default). The node gives it a source and later
 * closes it; nothing here touches the node otherwise.
 */
import type { FastifyInstance } from 'fastify';
import { EventHub, type EventHubLimits } from './events.js';
import { type HttpOptions, createHttpServer, registerPage } from './http.js';
import { EVENT_HEARTBEAT_MS, MAX_EVENT_BACKLOG_BYTES, MAX_EVENT_CLIENTS, MAX_EVENT_CLIENTS_PER_IP } from './limits.js';
import { registerApiRoutes } from './routes.js';
import type { ApiSource } from './source.js';

export interface ApiServerOptions extends HttpOptions {
  source: ApiSource;
  events?: Partial<EventHubLimits>;
}

export interface ListenOptions {
  /** Default 127.0.0.1: the API is for this machine unless asked otherwise. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
}

export interface RunningServer {
  /** http://host:port, without a trailing slash. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly app: FastifyInstance;
  /** Ends the event streams and stops listening. */
  close(): Promise<void>;
}

/** The API server, ready but not listening (tests use app.inject on it). */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const app = await createHttpServer(options);
  const hub = new EventHub(options.source, {
    maxClients: MAX_EVENT_CLIENTS,
    maxClientsPerAddress: MAX_EVENT_CLIENTS_PER_IP,
    maxBacklogBytes: MAX_EVENT_BACKLOG_BYTES,
    heartbeatMs: EVENT_HEARTBEAT_MS,
    ...options.events,
  });
  // Event streams never end by themselves: close them first, or close() would wait for them.
  app.addHook('preClose', async () => hub.close());
  registerApiRoutes(app, options.source, hub);
  registerPage(app, 'index.html', options);
  return app;
}

/** Listens on `listen` (a bound port is known once this resolves); on failure the app is closed. */
export async function listen(app: FastifyInstance, listen: ListenOptions = {}): Promise<RunningServer> {
  const host = listen.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: listen.port ?? 0 });
  } catch (error) {
    // Ready ran before the bind failed: what it started (the network view's node feeds) must stop.
    await app.close();
    throw error;
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the API server has no TCP address');
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    host: address.address,
    port: address.port,
    app,
    close: () => app.close(),
  };
}

/** Creates and starts a node's API server: what `powchain mine --api host:port` calls. */
export async function startApiServer(options: ApiServerOptions & ListenOptions): Promise<RunningServer> {
  return listen(await createApiServer(options), options);
}
