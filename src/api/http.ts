/**
 * The HTTP plumbing shared by the node's API server and devnet's network view: a fastify
 * instance with bounded bodies and connections, strict schema validation, a per-client
 * rate limit, `{"error": reason}` for every refusal (4xx; a 500 only for a bug, and then
 * without details), JSON 404s, and the built page served from memory.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { describeSchemaError } from './errors.js';
import {
  CLIENT_REQUESTS_PER_WINDOW,
  CLIENT_WINDOW_MS,
  MAX_BODY_BYTES,
  MAX_CONNECTIONS,
  OVER_LIMIT_DELAY_MS,
} from './limits.js';
import { CONTENT_SECURITY_POLICY, type WebAsset, loadWebAssets } from './static.js';

export interface RateLimitOptions {
  /** Requests one client address may make per window. */
  max: number;
  windowMs: number;
}

export interface HttpOptions {
  /** Per-client limit (default: CLIENT_REQUESTS_PER_WINDOW per CLIENT_WINDOW_MS); false: none. */
  rateLimit?: RateLimitOptions | false;
  /** Folder of the built page (default: this package's dist/web). */
  webRoot?: string;
  /** Called with an error the server did not expect (a bug): the client gets a bare 500. */
  onError?: (error: Error) => void;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { max: CLIENT_REQUESTS_PER_WINDOW, windowMs: CLIENT_WINDOW_MS };

/** Fastify's own errors for bad requests, with the reason the client is given. */
function describeRequestError(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `body is larger than ${MAX_BODY_BYTES} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'body must be application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body is empty';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'body is not valid JSON';
    default:
      return error.message;
  }
}

/**
 * A query string as the schemas see it: a value of plain decimal digits (at most 15, so it
 * is an exact number) becomes a number, anything else stays a string and fails an integer
 * schema; a repeated key becomes an array, which fails every schema here.
 */
export function parseQuery(query: string): Record<string, string | number | Array<string | number>> {
  const parsed: Record<string, string | number | Array<string | number>> = Object.create(null);
  for (const [key, text] of new URLSearchParams(query)) {
    const value = /^-?\d{1,15}$/.test(text) ? Number(text) : text;
    const previous = parsed[key];
    if (previous === undefined) parsed[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else parsed[key] = [previous, value];
  }
  return parsed;
}

function refuse(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ error });
}

export async function createHttpServer(options: HttpOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    // A client must send its request within 10 s and may keep an idle connection 5 s. A
    // connection silent for 10 s is closed, even one that never sent a byte (a browser's
    // preconnect, or someone holding connections): the limit of MAX_CONNECTIONS is not
    // theirs to keep. Event streams turn this off for their own sockets.
    requestTimeout: 10_000,
    keepAliveTimeout: 5_000,
    connectionTimeout: 10_000,
    // close() (the node stopping) ends every connection at once rather than waiting for them.
    forceCloseConnections: true,
    maxRequestsPerSocket: 1_000,
    return503OnClosing: true,
    ajv: {
      // Unknown parameters are refused, not silently dropped: `?limt=5` is a mistake worth saying.
      // No coercion: "1e3", " 5" or "0x10" are not integers; parseQuery turns plain digits into numbers.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
    },
    routerOptions: { querystringParser: parseQuery },
    schemaErrorFormatter: (errors, dataVar) => new Error(describeSchemaError(errors, dataVar)),
  });
  app.server.maxConnections = MAX_CONNECTIONS;

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.validation) return refuse(reply, 400, error.message);
    if (status === 429) {
      const timer = setTimeout(() => refuse(reply, 429, error.message), OVER_LIMIT_DELAY_MS);
      reply.raw.once('close', () => clearTimeout(timer));
      return reply;
    }
    if (status >= 400 && status < 500) return refuse(reply, status, describeRequestError(error));
    options.onError?.(error);
    return refuse(reply, 500, 'internal error');
  });

  const limit = options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit;
  if (limit) {
    await app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.windowMs,
      keyGenerator: (request) => request.ip,
      errorResponseBuilder: (_request, context) =>
        Object.assign(
          new Error(
            `too many requests: at most ${context.max} per ${limit.windowMs / 1000} s; retry in ${context.after}`,
          ),
          {
            statusCode: context.statusCode,
          },
        ),
    });
  }

  app.setNotFoundHandler(limit ? { preHandler: app.rateLimit() } : {}, (request, reply) =>
    refuse(reply, 404, `no such route: ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`),
  );
  return app;
}

/**
 * Serves the built page: `/` is `page` (an .html file of the web root), `/assets/<name>`
 * any other built file. Without a build, `/` says how to make one.
 */
export function registerPage(app: FastifyInstance, page: string, options: HttpOptions = {}): void {
  const assets: Map<string, WebAsset> = loadWebAssets(options.webRoot);
  const send = (reply: FastifyReply, asset: WebAsset): FastifyReply =>
    reply
      .type(asset.type)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);

  app.get('/', (_request, reply) => {
    const asset = assets.get(page);
    return asset ? send(reply, asset) : refuse(reply, 503, 'the web page is not built: run `npm run build:web`');
  });
  app.get<{ Params: { name: string } }>(
    '/assets/:name',
    {
      schema: {
        params: {
          type: 'object',
          properties: { name: { type: 'string', pattern: '^[a-z0-9-]{1,40}\\.(js|css|png|svg)$' } },
          required: ['name'],
        },
      },
    },
    (request, reply) => {
      const asset = assets.get(request.params.name);
      return asset ? send(reply, asset) : refuse(reply, 404, `no asset named ${request.params.name}`);
    },
  );
}
