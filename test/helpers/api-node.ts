/**
 * Real powchain miner nodes in this process, for the browser tests of the web view and the
 * network view: MinerNodes on the in-process MemoryNetwork (which can partition and heal),
 * each mining with a PacedMiner (a slow real miner), read through its NodeSource and served by its own HTTP API
 * on 127.0.0.1. And the wallet side: signed transfers between deterministic keys, sent to a
 * node through `POST /api/tx` as a wallet would.
 */
import { createHash } from 'node:crypto';
import { hexToBytes, bytesToHex } from '../../src/primitives/bytes.js';
import { addressOf, keyHash } from '../../src/primitives/coin-address.js';
import { type KeyPair, keyPairFromSeed } from '../../src/primitives/keys.js';
import { DEFAULT_PARAMS, type NetworkParams, encodeParams } from '../../src/primitives/params.js';
import { hashMeetsTarget } from '../../src/primitives/pow.js';
import { encodeTx } from '../../src/primitives/tx.js';
import { transfer } from './ledger-chain.js';
import type { PeerAddress } from '../../src/net/address.js';
import { MinerNode, type MinerNodeOptions, type NonceMiner } from '../../src/node/miner-node.js';
import { NodeSource } from '../../src/api/node-source.js';
import { type RunningServer, startApiServer } from '../../src/api/server.js';
import type { MemoryNetwork } from './memory-network.js';

type Outcome = Awaited<ReturnType<NonceMiner['mine']>>;

/**
 * A real nonce search (node:crypto, in slices on the event loop) at a steady, limited
 * rate, like a slow miner: block intervals come from the proof of work itself, and the
 * hashrate it reports is what it really did. It keeps a block it finds only while the test
 * allows one (`allow`, or `run` for no limit); otherwise it is an unlucky miner: it hashes
 * on and finds nothing. So a test decides how many blocks each node makes, and when.
 */
export class PacedMiner implements NonceMiner {
  readonly engine = 'node-crypto (test)';
  readonly threads = 1;
  /** Blocks it may still find. */
  budget = 0;
  found = 0;
  readonly #hashesPerSecond: number;
  #timer: NodeJS.Timeout | undefined;
  #resolve: ((outcome: Outcome) => void) | undefined;
  #nonce: bigint;
  #hashes = 0;
  #rateSince = Date.now();

  constructor(seed: number, hashesPerSecond = 40_000) {
    this.#hashesPerSecond = hashesPerSecond;
    this.#nonce = BigInt(seed) << 40n;
  }

  /** Lets it find `blocks` more blocks. */
  allow(blocks: number): void {
    this.budget += blocks;
  }

  /** No limit until pause(). */
  run(): void {
    this.budget = Number.POSITIVE_INFINITY;
  }

  /** It hashes on, but finds nothing. */
  pause(): void {
    this.budget = 0;
  }

  mine(job: { prefix: Uint8Array; target: bigint }): Promise<Outcome> {
    this.cancel();
    const perSlice = Math.max(1, Math.round(this.#hashesPerSecond / 100));
    return new Promise((resolve) => {
      this.#resolve = resolve;
      let hashes = 0;
      const slice = (): void => {
        const began = Date.now();
        const nonceBytes = Buffer.alloc(8);
        for (let i = 0; i < perSlice; i++) {
          const nonce = this.#nonce++;
          nonceBytes.writeBigUInt64BE(nonce);
          hashes++;
          this.#hashes++;
          const hash = createHash('sha256').update(job.prefix).update(nonceBytes).digest();
          if (this.budget > 0 && hashMeetsTarget(hash, job.target)) {
            this.#resolve = undefined;
            this.found++;
            this.budget--;
            resolve({ status: 'found', nonce, hashes });
            return;
          }
        }
        // A slice every 10 ms at most: the rate asked for, whatever the machine could do.
        this.#timer = setTimeout(slice, Math.max(0, 10 - (Date.now() - began)));
      };
      this.#timer = setTimeout(slice, 0);
    });
  }

  cancel(): void {
    clearTimeout(this.#timer);
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.({ status: 'preempted', hashes: 0 });
  }

  hashrate(): { hashesPerSecond: number; perWorker: number[] } {
    const now = Date.now();
    const rate = (this.#hashes * 1000) / Math.max(1, now - this.#rateSince);
    this.#hashes = 0;
    this.#rateSince = now;
    return { hashesPerSecond: rate, perWorker: [rate] };
  }

  async close(): Promise<void> {
    this.cancel();
  }
}

/** The test network's rules: easy work, short intervals, coinbases spendable after 2 blocks. */
export const LIVE_PARAMS: Omit<NetworkParams, 'genesisTimeMs'> = {
  ...DEFAULT_PARAMS,
  name: 'webnet',
  initialTarget: 1n << 244n,
  blockIntervalMs: 300,
  halfLifeMs: 6_000,
  coinbaseMaturity: 2,
};

export interface ApiNode {
  readonly index: number;
  readonly address: PeerAddress;
  readonly node: MinerNode;
  readonly miner: PacedMiner;
  readonly source: NodeSource;
  readonly api: RunningServer;
  /** Its API, then the node. */
  stop(): Promise<void>;
}

export interface ApiNodeOptions {
  network: MemoryNetwork;
  index: number;
  /** Every node's address (the tutorial's `others`). */
  peers: PeerAddress[];
  /** This node mines the genesis block, with these rules. */
  genesis?: Omit<NetworkParams, 'genesisTimeMs'>;
  /** Who the blocks mined here pay. */
  payTo?: KeyPair;
  hashesPerSecond?: number;
  node?: Partial<MinerNodeOptions>;
}

/** The MemoryNetwork address of node `index`. */
export const nodeAddress = (index: number): PeerAddress => ({ host: '127.0.0.1', port: 7100 + index });

export async function startApiNode(options: ApiNodeOptions): Promise<ApiNode> {
  const { network, index, genesis } = options;
  const miner = new PacedMiner(index + 11, options.hashesPerSecond);
  const payTo = options.payTo ? keyHash(options.payTo.publicKey) : undefined;
  const node = new MinerNode({
    transport: network.bind(nodeAddress(index)),
    miner,
    peers: options.peers,
    genesis: genesis !== undefined,
    network: { seed: {} },
    ...(genesis
      ? {
          genesisTemplate: (now: number) => ({
            data: encodeParams({ ...genesis, genesisTimeMs: now }),
            target: genesis.initialTarget,
          }),
        }
      : {}),
    hashrateIntervalMs: 500,
    helloIntervalMs: 100,
    tickIntervalMs: 50,
    beaconIntervalMs: 100,
    payTo: () => payTo,
    ...options.node,
  });
  // Before run(): the source must see every event.
  const source = new NodeSource(node);
  const api = await startApiServer({ source, rateLimit: false });
  const running = node.run();
  return {
    index,
    address: nodeAddress(index),
    node,
    miner,
    source,
    api,
    stop: async () => {
      await api.close();
      await node.stop();
      await running;
    },
  };
}

/** A key pair of its own for each name, the same in every run (the pictures stay alike). */
export function wallet(name: string): KeyPair & { address: string } {
  const pair = keyPairFromSeed(createHash('sha256').update(`powchain web test ${name}`).digest());
  return { ...pair, address: addressOf(pair.publicKey) };
}

/** The coins of `owner` that `node` would let a transfer spend now: mature, and not spent in its mempool. */
export function spendableCoins(node: ApiNode, owner: KeyPair) {
  const state = node.node.chainState;
  if (!state) return [];
  return state.ledger
    .unspent(keyHash(owner.publicKey))
    .filter(
      ({ outpoint, coin }) =>
        state.spendableAt(coin) &&
        state.mempool.spenderOf(`${bytesToHex(outpoint.txid)}:${outpoint.index}`) === undefined,
    );
}

/**
 * Signs a transfer of `amount` from `from`'s first spendable coin (the change back to
 * `from`, less `fee`), and submits it to the node's API as a wallet would. Returns the
 * txid the API answered.
 */
export async function sendCoins(
  node: ApiNode,
  from: KeyPair,
  to: KeyPair,
  amount: bigint,
  fee: bigint,
): Promise<string> {
  const state = node.node.chainState;
  if (!state) throw new Error('the node has no chain state yet');
  const [coin] = spendableCoins(node, from);
  if (!coin) throw new Error('no spendable coin for that key');
  const tx = transfer(
    [{ from: coin.outpoint.txid, index: coin.outpoint.index, key: from }],
    [
      [amount, to],
      [coin.coin.amount - amount - fee, from],
    ],
    hexToBytes(state.rules.genesisHash),
  );
  const response = await fetch(`${node.api.url}/api/tx`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tx: bytesToHex(encodeTx(tx)) }),
  });
  const answer = (await response.json()) as { txid?: string; error?: string };
  if (!answer.txid) throw new Error(`the API refused the transfer: ${answer.error}`);
  return answer.txid;
}
