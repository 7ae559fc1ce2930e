/** The ledger, the mempool and their helpers, as the rules and the node import them (docs/ledger.md). */
export { type Coin, type UnspentOutput, outpointKey } from './coins.js';
export type { BlockRefusal, SpentCoin, UndoRecord } from './connect.js';
export {
  DEFAULT_UNDO_DEPTH,
  EMPTY_ROUTE,
  Ledger,
  LedgerRouteError,
  MAX_UNDO_DEPTH,
  type BlockRef,
  type CheckBlockVerdict,
  type LedgerChange,
  type LedgerOptions,
  type LedgerState,
  type Route,
} from './ledger.js';
export {
  DEFAULT_MEMPOOL_LIMITS,
  Mempool,
  type AddVerdict,
  type LedgerView,
  type MempoolEntry,
  type MempoolLimits,
  type MempoolRefusal,
  type MempoolRefusalReason,
  type PendingLookup,
  type PoolUpdate,
  type PrecheckVerdict,
  type Selection,
} from './mempool.js';
export { routeBetween, type RouteNode } from './route.js';
export { SignatureCache, type SignatureCacheLimits } from './signature-cache.js';
export { DEFAULT_SNAPSHOT_LIMITS, decodeSnapshot, encodeSnapshot, type SnapshotLimits } from './snapshot.js';
export {
  coinbaseBytes,
  templateBudget,
  templateTransactions,
  transferBudget,
  type Template,
  type TemplateRequest,
} from './template.js';
export {
  DEFAULT_QUEUE_LIMITS,
  VerificationQueue,
  type BatchResult,
  type SubmitVerdict,
  type VerificationQueueLimits,
} from './verification-queue.js';
