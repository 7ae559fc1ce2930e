/**
 * The API's routes (docs/api.md): each validates its input by schema, asks the ApiSource,
 * and answers JSON. Answers to GET requests are kept for a moment and dropped on every
 * source event, so a client polling hard costs one serialization per change, not one per
 * request.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { hexToBytes } from '../primitives/bytes.js';
import type { EventHub } from './events.js';
import type { ApiError } from './errors.js';
import { DEFAULT_BLOCKS_LIMIT, DEFAULT_TREE_HEIGHTS, MAX_TREE_HEIGHTS } from './limits.js';
import {
  type AddressParams,
  type BlocksQuery,
  type HashParams,
  type SubmitBody,
  type TreeQuery,
  type TxidParams,
  addressParams,
  blocksQuery,
  emptyQuery,
  hashParams,
  submitBody,
  treeQuery,
  txidParams,
} from './schemas.js';
import type { ApiSource, ApiTransactions } from './source.js';

export const NO_CHAIN = 'no chain yet: this node is waiting for a genesis block';
export const NO_TRANSACTIONS = "this node's network has no transactions";

/** How long a GET answer may be reused when no event says it changed (peers and refusals change silently). */
const CACHE_MS = 500;
const CACHE_ENTRIES = 256;

/** Serialized answers by URL, dropped on every source event and after CACHE_MS. */
class ResponseCache {
  readonly #entries = new Map<string, { body: string; at: number }>();

  get(key: string, now: number): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry || now - entry.at > CACHE_MS) return undefined;
    return entry.body;
  }

  set(key: string, body: string, now: number): void {
    if (this.#entries.size >= CACHE_ENTRIES) this.#entries.clear();
    this.#entries.set(key, { body, at: now });
  }

  clear(): void {
    this.#entries.clear();
  }
}

function refuse(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ error } satisfies ApiError);
}

function sendJson(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(body);
}

export function registerApiRoutes(app: FastifyInstance, source: ApiSource, hub: EventHub): void {
  const cache = new ResponseCache();
  const unsubscribe = source.subscribe(() => cache.clear());
  app.addHook('onClose', async () => unsubscribe());

  /** Answers from the cache, or computes, serializes and keeps the answer (undefined: `fallback` answers instead). */
  const cached = (
    reply: FastifyReply,
    key: string,
    compute: () => unknown,
    fallback: (reply: FastifyReply) => FastifyReply,
  ): FastifyReply => {
    const now = Date.now();
    let body = cache.get(key, now);
    if (body === undefined) {
      const value = compute();
      if (value === undefined) return fallback(reply);
      body = JSON.stringify(value);
      cache.set(key, body, now);
    }
    return sendJson(reply, body);
  };
  const noChain = (reply: FastifyReply): FastifyReply => refuse(reply, 503, NO_CHAIN);

  app.get('/api/status', { schema: { querystring: emptyQuery } }, (_request, reply) =>
    cached(reply, 'status', () => source.status(), noChain),
  );

  app.get<{ Querystring: BlocksQuery }>('/api/blocks', { schema: { querystring: blocksQuery } }, (request, reply) => {
    const limit = request.query.limit ?? DEFAULT_BLOCKS_LIMIT;
    const before = request.query.before;
    return cached(
      reply,
      `blocks:${limit}:${before ?? ''}`,
      () => {
        const blocks = source.blocks(limit, before);
        const last = blocks[blocks.length - 1];
        // `next` is the `before` of the following page; null when this page reached the root.
        return { blocks, next: last && last.height > 0 && blocks.length === limit ? last.height : null };
      },
      noChain,
    );
  });

  app.get<{ Params: HashParams }>(
    '/api/blocks/:hash',
    { schema: { params: hashParams, querystring: emptyQuery } },
    (request, reply) => {
      const hash = request.params.hash.toLowerCase();
      return cached(
        reply,
        `block:${hash}`,
        () => source.block(hash),
        (reply) => refuse(reply, 404, 'no block with that hash'),
      );
    },
  );

  app.get<{ Querystring: TreeQuery }>('/api/tree', { schema: { querystring: treeQuery } }, (request, reply) => {
    const height = source.status()?.height;
    if (height === undefined) return noChain(reply);
    // Bounded: the answer covers at most MAX_TREE_HEIGHTS heights below the head.
    const lowest = Math.max(0, height - MAX_TREE_HEIGHTS + 1);
    const since = Math.max(lowest, request.query.since ?? height - DEFAULT_TREE_HEIGHTS + 1);
    return cached(reply, `tree:${since}`, () => source.tree(since), noChain);
  });

  app.get('/api/peers', { schema: { querystring: emptyQuery } }, (_request, reply) =>
    cached(reply, 'peers', () => ({ peers: source.peers() }), noChain),
  );

  app.get('/api/refusals', { schema: { querystring: emptyQuery } }, (_request, reply) =>
    cached(reply, 'refusals', () => ({ refusals: source.refusals() }), noChain),
  );

  // The transactions issue's routes: answered 501 with a reason while the source has no transactions.
  const withTransactions = (
    reply: FastifyReply,
    answer: (transactions: ApiTransactions) => FastifyReply,
  ): FastifyReply => (source.transactions ? answer(source.transactions) : refuse(reply, 501, NO_TRANSACTIONS));

  app.get<{ Params: TxidParams }>(
    '/api/tx/:txid',
    { schema: { params: txidParams, querystring: emptyQuery } },
    (request, reply) =>
      withTransactions(reply, (transactions) => {
        const tx = transactions.tx(request.params.txid.toLowerCase());
        return tx ? reply.send(tx) : refuse(reply, 404, 'no transaction with that txid');
      }),
  );

  app.get<{ Params: AddressParams }>(
    '/api/address/:address',
    { schema: { params: addressParams, querystring: emptyQuery } },
    (request, reply) =>
      withTransactions(reply, (transactions) => {
        const verdict = transactions.address(request.params.address.toLowerCase());
        return verdict.ok ? reply.send(verdict.address) : refuse(reply, 400, verdict.reason);
      }),
  );

  app.get('/api/mempool', { schema: { querystring: emptyQuery } }, (_request, reply) =>
    withTransactions(reply, (transactions) => reply.send(transactions.mempool())),
  );

  app.post<{ Body: SubmitBody }>(
    '/api/tx',
    { schema: { body: submitBody, querystring: emptyQuery } },
    (request, reply) =>
      withTransactions(reply, (transactions) => {
        const verdict = transactions.submit(hexToBytes(request.body.tx, 'tx'));
        return verdict.ok ? reply.send({ txid: verdict.txid }) : refuse(reply, 400, verdict.reason);
      }),
  );

  app.get('/api/events', { schema: { querystring: emptyQuery } }, (request, reply) => {
    const refusal = hub.refusal(request.ip);
    if (refusal) return refuse(reply, 503, refusal);
    reply.hijack();
    // An event stream is long-lived: no idle timeout (the heartbeat shows it is alive).
    request.raw.socket.setTimeout(0);
    hub.open(reply.raw, request.ip);
    return reply;
  });
}
