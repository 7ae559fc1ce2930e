/**
 * The HTTP API's own limits, defined once (docs/api.md): what one request may ask for,
 * what one client may spend, and how many event streams may be open. Block-format limits
 * live in primitives/limits.ts.
 */
import { MAX_DATA_BYTES } from '../primitives/limits.js';

/** Blocks in one /api/blocks page: the default and the most. */
export const DEFAULT_BLOCKS_LIMIT = 20;
export const MAX_BLOCKS_LIMIT = 100;
/** Heights one /api/tree answer covers at most (older `since` is raised to head - this + 1). */
export const MAX_TREE_HEIGHTS = 2_000;
/** Heights /api/tree covers when `since` is not given. */
export const DEFAULT_TREE_HEIGHTS = 500;
/** The largest height accepted in a URL (2^31 - 1: far beyond any chain, small enough to be a safe integer). */
export const MAX_HEIGHT = 2 ** 31 - 1;
/** Txids one /api/mempool answer lists (the newest). */
export const MAX_MEMPOOL_TXIDS = 1_000;
/** A transaction's encoding cannot be larger than a block's data. */
export const MAX_TX_BYTES = MAX_DATA_BYTES;
/** Bytes of a request body: a hex transaction and a little JSON around it. */
export const MAX_BODY_BYTES = 2 * MAX_TX_BYTES + 1_024;
/** Requests one client (IP address) may make per window, and the window. */
export const CLIENT_REQUESTS_PER_WINDOW = 200;
export const CLIENT_WINDOW_MS = 10_000;
/**
 * A client over its limit gets its 429 only after this long. A flood then waits on its own
 * connections (at most MAX_CONNECTIONS of them) instead of being answered as fast as it
 * asks, over kept-alive connections or a new connection per request alike.
 */
export const OVER_LIMIT_DELAY_MS = 1_000;
/** Event streams open at once (all clients), and per client. */
export const MAX_EVENT_CLIENTS = 32;
export const MAX_EVENT_CLIENTS_PER_IP = 8;
/** Bytes queued for one event client before it is cut off as too slow. */
export const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;
/** A comment line sent this often keeps idle event streams (and proxies) open. */
export const EVENT_HEARTBEAT_MS = 15_000;
/** TCP connections the server holds at once; more are refused by the kernel's listen queue. */
export const MAX_CONNECTIONS = 128;
