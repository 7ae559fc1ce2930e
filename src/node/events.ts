/**
 * What a miner node reports, as one discriminated union (docs/events.md). `--log json`
 * prints these objects one per line; the live terminal view, devnet and the HTTP API's
 * event stream read the same events.
 */

export type BlockStatus = 'accepted' | 'rejected';

export type NodeEvent =
  | {
      event: 'listening';
      address: string;
      engine: string | null;
      threads: number;
      target: string;
      genesis: boolean;
      /** It resumes a chain restored from its data directory. */
      resuming: boolean;
      mining: boolean;
    }
  | {
      event: 'restored';
      blocks: number;
      height: number;
      hash: string;
      network: string;
      torn_bytes: number;
      dropped_blocks: number;
    }
  | { event: 'genesis'; hash: string; from: string; network: string }
  | { event: 'head'; height: number; hash: string; time?: number; target?: string }
  | {
      event: 'block';
      hash: string;
      height?: number;
      from: string;
      status: BlockStatus;
      reason?: string;
      detail?: string;
      orphan?: boolean;
    }
  | {
      event: 'tx';
      txid: string;
      from: string;
      status: 'accepted' | 'rejected' | 'confirmed';
      reason?: string;
      detail?: string;
      block?: string;
    }
  | { event: 'hashrate'; hashes_per_second: number; per_thread?: number[] }
  | { event: 'junk'; from: string; reason: string; count: number }
  | { event: 'dropped'; why: 'pruned' | 'side-budget'; blocks: number; bytes: number }
  | { event: 'compacted'; blocks: number; dead_bytes: number }
  | { event: 'sync'; from: string; height: number; their_height: number }
  | { event: 'api'; url: string }
  | { event: 'pay-to'; address: string | null; wallet: string | null; created: boolean; protected: boolean | null }
  | { event: 'warning'; message: string }
  | { event: 'exit'; height: number; hash: string; chain: string[]; reason: string; tree?: string };

export type NodeEventListener = (event: NodeEvent) => void;
