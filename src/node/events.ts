/**
 * What a miner node reports, as one discriminated union. `--log json` prints these objects
 * one per line (SPEC 5); the live terminal view and devnet read the same events.
 */

export type BlockStatus = 'accepted' | 'rejected';

export type NodeEvent =
  | { event: 'listening'; address: string; engine: string; threads: number; target: string; genesis: boolean }
  | { event: 'restored'; blocks: number; height: number; hash: string; dropped_bytes: number; refused?: string }
  | { event: 'genesis'; hash: string; from: string }
  | { event: 'head'; height: number; hash: string }
  | {
      event: 'block';
      hash: string;
      height?: number;
      from: string;
      status: BlockStatus;
      reason?: string;
      orphan?: boolean;
    }
  | { event: 'hashrate'; hashes_per_second: number; per_thread?: number[] }
  | { event: 'junk'; from: string; reason: string; count: number }
  | { event: 'warning'; message: string }
  | { event: 'exit'; height: number; hash: string; chain: string[]; reason: string; tree?: string };

export type NodeEventListener = (event: NodeEvent) => void;
