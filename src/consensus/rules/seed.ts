/**
 * The tutorial's rules (the `seed` network, docs/networks.md): any `data`, one fixed target
 * for every block, the head is the highest block, and a tie between the head and a newcomer
 * of the same height is settled by a coin flip ('random', the tutorial's) or by keeping
 * the head ('first-seen', as Bitcoin does). The coin is injected so tests can pin it.
 */
import type { Block } from '../../primitives/block.js';
import { hashMeetsTarget } from '../../primitives/pow.js';
import { DEFAULT_TARGET, workForTarget } from '../../primitives/target.js';
import type { BlockFacts, ChainLink, NetworkRules, Refusal } from './rules.js';

export type TieBreak = 'random' | 'first-seen';

export interface SeedRulesOptions {
  /** The network's fixed target (default 2^235, the tutorial's). */
  target?: bigint;
  tieBreak?: TieBreak;
  /** Source of the coin flip: returns true to take the newcomer. Default Math.random. */
  coinFlip?: () => boolean;
}

export interface SeedRules extends NetworkRules {
  readonly network: 'seed';
  readonly target: bigint;
  readonly tieBreak: TieBreak;
}

export function seedRules(options: SeedRulesOptions = {}): SeedRules {
  const target = options.target ?? DEFAULT_TARGET;
  const tieBreak = options.tieBreak ?? 'random';
  const coinFlip = options.coinFlip ?? (() => Math.random() < 0.5);
  // Every block of the network has the same facts: one object shared by all of them.
  const facts: BlockFacts = { target, work: workForTarget(target) };
  const check = (block: Block): { ok: true; facts: BlockFacts } | Refusal =>
    hashMeetsTarget(block.hash(), target) ? { ok: true, facts } : { ok: false, reason: 'bad-pow' };
  return {
    network: 'seed',
    target,
    tieBreak,
    checkGenesis: check,
    checkWork: check,
    checkBlock: check,
    prefers(candidate: ChainLink, head: ChainLink): boolean {
      return (
        candidate.height > head.height || (candidate.height === head.height && tieBreak === 'random' && coinFlip())
      );
    },
    nextTarget: () => target,
    template: (_parent, _now, tag) => ({ data: new TextEncoder().encode(tag), target }),
    templateLifetimeMs: undefined,
    // The tutorial keeps every block; pruning is there when asked for (--prune-depth).
    defaultPruneDepth: undefined,
    minerTag: (block) => readableText(block.data),
  };
}

/** `data` as text when it is printable UTF-8 of a tag's size, else undefined. */
function readableText(data: Uint8Array): string | undefined {
  if (data.length > 256) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(text) ? undefined : text;
}
