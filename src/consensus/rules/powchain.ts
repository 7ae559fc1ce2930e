/**
 * The rules of a `powchain` network (docs/networks.md, docs/powchain-network.md): the
 * genesis block's data is the network's parameters record; every other block's data is a
 * payload (version, height, time, target, transactions) that must say the truth:
 *
 *   height   the parent's height + 1                                     (bad-height)
 *   time     after the median time of the previous 11 blocks             (time-too-old)
 *            at most 2 minutes ahead of the receiver's clock             (time-too-new: it waits)
 *   target   exactly the ASERT target after the parent                   (bad-target)
 *   work     the block's hash meets that target                          (bad-pow)
 *   the rest a payload that decodes canonically within the size limit    (bad-payload)
 *            transactions that the ledger accepts, when one is attached   (bad-tx, bad-coinbase)
 *
 * The head is the block with the most chain work; on equal work the first seen stays.
 */
import type { Block } from '../../primitives/block.js';
import { type NetworkParams, decodeParams, isParamsRecord } from '../../primitives/params.js';
import {
  type BlockPayload,
  MAX_MINER_TAG_BYTES,
  decodePayload,
  encodePayload,
  padForFastLayout,
} from '../../primitives/payload.js';
import { hashMeetsTarget } from '../../primitives/pow.js';
import { workForTarget } from '../../primitives/target.js';
import { type AsertSchedule, asertTarget, powchainSchedule } from '../asert.js';
import type { BlockTree } from '../block-tree.js';
import { ChainState, type ChainStateOptions } from '../chain-state.js';
import type { BlockFacts, ChainLink, NetworkRules, Refusal } from './rules.js';

/** How far ahead of the receiver's clock a block's time may be (ms). */
export const MAX_FUTURE_MS = 2 * 60_000;
/** Side branches forking more than this many blocks below the head are dropped by default. */
export const DEFAULT_PRUNE_DEPTH = 100;
/** Blocks whose times make the median time past. */
export const MEDIAN_TIME_SPAN = 11;

export interface PowchainFacts extends BlockFacts {
  readonly time: number;
}

/**
 * Decoded payloads kept at once (recently checked or routed over). Each block's is decoded
 * when checked and again only when asked for later: a 100,000-block chain does not hold
 * 100,000 decoded payloads.
 */
const PAYLOAD_CACHE_ENTRIES = 4_096;

export interface PowchainRules extends NetworkRules {
  readonly network: 'powchain';
  readonly params: NetworkParams;
  /** The genesis block's hash (lower-case hex): the network's identity, signed by every transaction. */
  readonly genesisHash: string;
  readonly schedule: AsertSchedule;
  /** The payload of a block (recently decoded ones from a bounded cache). */
  payloadOf(block: Block): { ok: true; value: BlockPayload } | { ok: false; reason: string };
  /**
   * The chain state of `tree` (ledger, mempool, index): made when the tree is, and from then on
   * the tree's blocks are checked against its ledger and templates are filled from its mempool.
   * A restored tree gets it after the restore (its stored blocks replayed by followHead). Made
   * again, it replaces the first.
   */
  chainState(tree: BlockTree, options?: ChainStateOptions): ChainState;
}

/** The parameters a genesis block's data holds, if it is a powchain genesis (and why not). */
export function powchainParamsOf(
  genesis: Block,
): { ok: true; params: NetworkParams } | { ok: false; reason: string } | undefined {
  if (!isParamsRecord(genesis.data)) return undefined;
  const decoded = decodeParams(genesis.data);
  return decoded.ok ? { ok: true, params: decoded.value } : decoded;
}

/** The rules of the network whose genesis has hash `genesisHash` and holds `params`. */
export function powchainRules(params: NetworkParams, genesisHash: string): PowchainRules {
  const schedule = powchainSchedule(params);
  // Decoding costs more than a lookup: a block checked twice in a row (work, then in its
  // tree) is decoded once. Least recently used out first.
  const payloads = new Map<Block, { ok: true; value: BlockPayload } | { ok: false; reason: string }>();
  let state: ChainState | undefined;

  const payloadOf = (block: Block): { ok: true; value: BlockPayload } | { ok: false; reason: string } => {
    let decoded = payloads.get(block);
    if (decoded) {
      payloads.delete(block);
    } else {
      decoded = decodePayload(block.data, params.maxBlockBytes);
      if (payloads.size >= PAYLOAD_CACHE_ENTRIES) payloads.delete(payloads.keys().next().value!);
    }
    payloads.set(block, decoded);
    return decoded;
  };
  const timeOf = (link: ChainLink): number => (link.facts as PowchainFacts).time;
  const nextTarget = (parent: ChainLink): bigint => asertTarget(schedule, parent.height, timeOf(parent));
  const medianTimePast = (parent: ChainLink): number => {
    const times: number[] = [];
    for (let at: ChainLink | undefined = parent; at && times.length < MEDIAN_TIME_SPAN; at = at.parent)
      times.push(timeOf(at));
    times.sort((a, b) => a - b);
    return times[times.length >> 1]!;
  };

  return {
    network: 'powchain',
    params,
    genesisHash,
    schedule,
    payloadOf,
    chainState(tree: BlockTree, options?: ChainStateOptions): ChainState {
      // A second one replaces the first (to start over from the genesis when a snapshot fails).
      state = new ChainState(tree, this as PowchainRules, options);
      return state;
    },

    checkGenesis(block: Block): { ok: true; facts: BlockFacts } | Refusal {
      const own = powchainParamsOf(block);
      if (!own?.ok)
        return { ok: false, reason: 'bad-genesis', detail: own ? own.reason : 'its data is not a parameters record' };
      if (!block.isGenesis) return { ok: false, reason: 'bad-genesis', detail: 'its previous_hash is not all zero' };
      if (block.hashHex() !== genesisHash)
        return { ok: false, reason: 'bad-genesis', detail: "not this network's genesis" };
      if (!hashMeetsTarget(block.hash(), params.initialTarget)) return { ok: false, reason: 'bad-pow' };
      const facts: PowchainFacts = {
        target: params.initialTarget,
        work: workForTarget(params.initialTarget),
        time: params.genesisTimeMs,
      };
      return { ok: true, facts };
    },

    checkWork(block: Block): { ok: true } | Refusal {
      const decoded = payloadOf(block);
      if (!decoded.ok) return { ok: false, reason: 'bad-payload', detail: decoded.reason };
      return hashMeetsTarget(block.hash(), decoded.value.target) ? { ok: true } : { ok: false, reason: 'bad-pow' };
    },

    checkBlock(block: Block, parent: ChainLink, now: number): { ok: true; facts: BlockFacts } | Refusal {
      const decoded = payloadOf(block);
      if (!decoded.ok) return { ok: false, reason: 'bad-payload', detail: decoded.reason };
      const payload = decoded.value;
      if (payload.height !== parent.height + 1) {
        return {
          ok: false,
          reason: 'bad-height',
          detail: `height ${payload.height} on a parent of height ${parent.height}`,
        };
      }
      const median = medianTimePast(parent);
      if (payload.time <= median) {
        return {
          ok: false,
          reason: 'time-too-old',
          detail: `time ${payload.time} is not after the median time past ${median}`,
        };
      }
      if (payload.time > now + MAX_FUTURE_MS) {
        return {
          ok: false,
          reason: 'time-too-new',
          detail: `time ${payload.time} is ${payload.time - now} ms ahead of this node's clock`,
        };
      }
      const target = nextTarget(parent);
      if (payload.target !== target) {
        return {
          ok: false,
          reason: 'bad-target',
          detail: `target 0x${payload.target.toString(16)}, ASERT says 0x${target.toString(16)}`,
        };
      }
      if (!hashMeetsTarget(block.hash(), target)) return { ok: false, reason: 'bad-pow' };
      if (state) {
        const checked = state.checkTransactions(block, payload, parent);
        if (!checked.ok) return checked;
      }
      const facts: PowchainFacts = { target, work: workForTarget(target), time: payload.time };
      return { ok: true, facts };
    },

    prefers: (candidate, head) => candidate.chainWork > head.chainWork,
    nextTarget,

    template(parent: ChainLink, now: number, tag: string): { data: Uint8Array; target: bigint } {
      const target = nextTarget(parent);
      const time = Math.max(now, medianTimePast(parent) + 1);
      const height = parent.height + 1;
      const tagBytes = new TextEncoder().encode(tag).subarray(0, MAX_MINER_TAG_BYTES);
      // With a chain state: the coinbase pays the miner, and the mempool fills the rest (sized
      // to leave room for the padding); without, a coinbase alone that pays no one.
      const transactions = state?.template(parent, tagBytes) ?? [
        { kind: 'coinbase', height, tag: tagBytes, outputs: [] },
      ];
      const payload = padForFastLayout({ version: 1, height, time, target, transactions });
      return { data: encodePayload(payload), target };
    },

    // A template carries a time: renewed twice a block interval, so the chain's clock (and the
    // next target) follows the real one, and at least every few seconds.
    templateLifetimeMs: Math.min(5_000, Math.max(250, Math.floor(params.blockIntervalMs / 2))),

    defaultPruneDepth: DEFAULT_PRUNE_DEPTH,

    minerTag(block: Block): string | undefined {
      const decoded = payloadOf(block);
      if (!decoded.ok) return undefined;
      const coinbase = decoded.value.transactions[0];
      if (coinbase?.kind !== 'coinbase') return undefined;
      // The tag, without the zero bytes of fast-layout padding.
      // (At end 0, tag[-1] is undefined: the loop stops.)
      let end = coinbase.tag.length;
      while (coinbase.tag[end - 1] === 0) end--;
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(coinbase.tag.subarray(0, end));
      } catch {
        return undefined;
      }
    },
  };
}
