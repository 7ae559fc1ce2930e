import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { DEFAULT_PARAMS, type NetworkParams, encodeParams } from '../src/primitives/params.js';
import { type BlockPayload, decodePayload, encodePayload } from '../src/primitives/payload.js';
import { workForTarget } from '../src/primitives/target.js';
import { asertTarget, powchainSchedule } from '../src/consensus/asert.js';
import { BlockTree } from '../src/consensus/block-tree.js';
import { rulesForGenesis } from '../src/consensus/rules/index.js';
import {
  MAX_FUTURE_MS,
  type PowchainFacts,
  type PowchainRules,
  powchainRules,
} from '../src/consensus/rules/powchain.js';
import type { ChainLink } from '../src/consensus/rules/rules.js';

const T0 = 1_800_000_000_000;
const params: NetworkParams = {
  ...DEFAULT_PARAMS,
  initialTarget: 1n << 250n,
  // As short as allowed: a block's time moves the next target a lot, which the work tests need.
  halfLifeMs: 1_000,
  genesisTimeMs: T0,
  name: 'rules test',
};

/** The first nonce from 0 whose hash meets `target` (1 in 64 at 2^250). */
function mine(template: Block, target: bigint, valid = true): Block {
  for (let nonce = 0n; ; nonce++) {
    const block = template.withNonce(nonce);
    if (block.verifyProofOfWork(target) === valid) return block;
  }
}

const genesis = mine(new Block(encodeParams(params)), params.initialTarget);
const rules = (): PowchainRules => powchainRules(params, genesis.hashHex());
const schedule = powchainSchedule(params);

interface ChildOptions {
  time?: number;
  height?: number;
  target?: bigint;
  data?: Uint8Array;
  validWork?: boolean;
  tag?: string;
}

/** A block on `parent` (a tree entry) that says what `options` says, mined unless told not to be. */
function childOf(
  parent: { block: Block; height: number; facts: { time?: number } },
  options: ChildOptions = {},
): Block {
  const height = options.height ?? parent.height + 1;
  const time = options.time ?? parent.facts.time! + 1_000;
  const target = options.target ?? asertTarget(schedule, parent.height, parent.facts.time!);
  const payload: BlockPayload = {
    version: 1,
    height,
    time,
    target,
    transactions: [
      { kind: 'coinbase', height, tag: new TextEncoder().encode(options.tag ?? `t${height}:${time}`), outputs: [] },
    ],
  };
  const template = new Block(options.data ?? encodePayload(payload), parent.block);
  return mine(template, target, options.validWork ?? true);
}

describe('the powchain network: genesis', () => {
  it('is chosen by a genesis that holds a parameters record, and pins that genesis', () => {
    const chosen = rulesForGenesis(genesis, { seed: {} });
    expect(chosen.ok && chosen.rules.network).toBe('powchain');
    expect(rulesForGenesis(new Block('Genesis'), { seed: { target: 1n << 255n } })).toMatchObject({
      ok: true,
      rules: { network: 'seed' },
    });
    expect(rulesForGenesis(genesis, { seed: {}, genesisHash: '00'.repeat(32) })).toMatchObject({
      ok: false,
      reason: 'bad-genesis',
    });
    const other = mine(new Block(encodeParams({ ...params, name: 'other' })), params.initialTarget);
    expect(rules().checkGenesis(other)).toEqual({
      ok: false,
      reason: 'bad-genesis',
      detail: "not this network's genesis",
    });
  });

  it('refuses a record that claims to be one but does not decode, and a genesis without its work', () => {
    const broken = new Block(encodeParams(params).subarray(0, 40));
    expect(rulesForGenesis(broken, { seed: {} })).toMatchObject({ ok: false, reason: 'bad-genesis' });
    const lazy = mine(new Block(encodeParams(params)), params.initialTarget, false);
    expect(rulesForGenesis(lazy, { seed: {} })).toEqual({ ok: false, reason: 'bad-pow' });
  });
});

describe('the powchain network: validity of a block', () => {
  const tree = (): BlockTree => new BlockTree(genesis, rules());

  it('accepts a block that says the truth, and keeps its time and target', () => {
    const chain = tree();
    const block = childOf(chain.root);
    const verdict = chain.append(block, T0 + 1_000);
    expect(verdict).toMatchObject({ ok: true, headChanged: true });
    const entry = chain.get(block.hashHex())!;
    expect(entry.facts.time).toBe(T0 + 1_000);
    expect(entry.facts.target).toBe(params.initialTarget);
    expect(entry.chainWork).toBe(2n * workForTarget(params.initialTarget));
  });

  it('refuses a wrong height, with its reason', () => {
    const chain = tree();
    expect(chain.append(childOf(chain.root, { height: 2 }), T0 + 1_000)).toMatchObject({
      ok: false,
      reason: 'bad-height',
      detail: 'height 2 on a parent of height 0',
    });
  });

  it('refuses a time not after the median of the last 11, and takes one just after it', () => {
    const chain = tree();
    let tip = chain.root;
    for (let i = 1; i <= 11; i++) {
      chain.append(childOf(tip, { time: T0 + i * 1_000 }), T0 + 20_000);
      tip = chain.head;
    }
    // The median of heights 1..11 is height 6's time.
    const median = T0 + 6_000;
    expect(chain.append(childOf(tip, { time: median }), T0 + 20_000)).toMatchObject({
      ok: false,
      reason: 'time-too-old',
    });
    expect(chain.append(childOf(tip, { time: median + 1 }), T0 + 20_000)).toMatchObject({ ok: true });
  });

  it('refuses a time more than 2 minutes ahead of its clock, and takes one exactly 2 minutes ahead', () => {
    const chain = tree();
    const now = T0 + 5_000;
    expect(chain.append(childOf(chain.root, { time: now + MAX_FUTURE_MS + 1 }), now)).toMatchObject({
      ok: false,
      reason: 'time-too-new',
    });
    expect(chain.append(childOf(chain.root, { time: now + MAX_FUTURE_MS }), now)).toMatchObject({ ok: true });
  });

  it('refuses any target but the ASERT one, even an easier or harder one by one', () => {
    const chain = tree();
    const right = params.initialTarget;
    for (const target of [right + 1n, right - 1n]) {
      expect(chain.append(childOf(chain.root, { target }), T0 + 1_000)).toMatchObject({
        ok: false,
        reason: 'bad-target',
      });
    }
  });

  it('refuses a block whose hash misses the target, and data that is not a payload', () => {
    const chain = tree();
    expect(chain.append(childOf(chain.root, { validWork: false }), T0 + 1_000)).toEqual({
      ok: false,
      reason: 'bad-pow',
      hash: expect.any(String),
    });
    const garbage = childOf(chain.root, { data: new TextEncoder().encode('127.0.0.1:5000:0') });
    expect(chain.append(garbage, T0 + 1_000)).toMatchObject({ ok: false, reason: 'bad-payload' });
    const oversize = childOf(chain.root, { data: new Uint8Array(params.maxBlockBytes + 1) });
    expect(chain.append(oversize, T0 + 1_000)).toMatchObject({
      ok: false,
      reason: 'bad-payload',
      detail: `payload is ${params.maxBlockBytes + 1} bytes, at most ${params.maxBlockBytes}`,
    });
  });

  it('makes the chain with the most work the head, even when it is shorter', () => {
    const chain = tree();
    // Long: three blocks, the third after ten minutes of silence, so mined at a far easier target.
    const x1 = childOf(chain.root, { time: T0 + 1_000, tag: 'x' });
    chain.append(x1, T0 + 700_000);
    const x2 = childOf(chain.get(x1.hashHex())!, { time: T0 + 600_000, tag: 'x' });
    chain.append(x2, T0 + 700_000);
    const x3 = childOf(chain.get(x2.hashHex())!, { time: T0 + 601_000, tag: 'x' });
    chain.append(x3, T0 + 700_000);
    expect(chain.head.height).toBe(3);
    // Short: two blocks, the first so fast that the second is mined at about half the target.
    const y1 = childOf(chain.root, { time: T0 + 1, tag: 'y' });
    chain.append(y1, T0 + 700_000);
    const y2 = childOf(chain.get(y1.hashHex())!, { time: T0 + 2, tag: 'y' });
    const verdict = chain.append(y2, T0 + 700_000);
    const x = chain.get(x3.hashHex())!;
    const y = chain.get(y2.hashHex())!;
    expect(y.chainWork).toBeGreaterThan(x.chainWork);
    expect(verdict).toMatchObject({ ok: true, headChanged: true });
    expect(chain.head).toBe(y);
    expect(chain.head.height).toBe(2);
  });

  it('keeps the first seen of two heads with equal work', () => {
    const chain = tree();
    const a = childOf(chain.root, { tag: 'a' });
    const b = childOf(chain.root, { tag: 'b' });
    chain.append(a, T0 + 1_000);
    expect(chain.append(b, T0 + 1_000)).toMatchObject({ ok: true, headChanged: false });
    expect(chain.head.hash).toBe(a.hashHex());
  });

  it('takes the median time past over exactly the last 11 blocks', () => {
    const work = workForTarget(params.initialTarget);
    // Heights 1 to 11 at T0 + 1 s .. T0 + 11 s; the root (a 12th block back) claims a late time.
    let link: ChainLink = {
      block: genesis,
      height: 0,
      parent: undefined,
      facts: { target: params.initialTarget, work, time: T0 + 100_000 } as PowchainFacts,
      chainWork: work,
    };
    for (let height = 1; height <= 11; height++) {
      const facts = { target: params.initialTarget, work, time: T0 + height * 1_000 } as PowchainFacts;
      link = { block: genesis, height, parent: link, facts, chainWork: link.chainWork + work };
    }
    const template = rules().template(link, 0, 'tag');
    const payload = decodePayload(template.data, params.maxBlockBytes);
    expect(payload.ok && payload.value.time).toBe(T0 + 6_001);
  });

  it('decodes a block once while it is among the 4,096 most recently used, and again after', () => {
    const chain = rules();
    const kept = new Block('not a payload');
    const first = chain.payloadOf(kept);
    expect(first).toEqual({ ok: false, reason: expect.any(String) });
    const others = Array.from({ length: 4_095 }, () => new Block('not a payload'));
    const firstOfOthers = chain.payloadOf(others[0]!);
    for (const block of others.slice(1)) chain.payloadOf(block);
    // Full: using `kept` again makes others[0] the least recently used, which the next one pushes out.
    expect(chain.payloadOf(kept)).toBe(first);
    chain.payloadOf(new Block('not a payload'));
    expect(chain.payloadOf(kept)).toBe(first);
    expect(chain.payloadOf(others[0]!)).not.toBe(firstOfOthers);
  });

  it('builds templates that its own checks accept, with the miner tag readable back', () => {
    const chain = tree();
    const template = chain.rules.template(chain.root, T0 + 3_000, '127.0.0.1:5000:0');
    const block = mine(new Block(template.data, chain.root.block), template.target);
    const verdict = chain.append(block, T0 + 3_000);
    expect(verdict).toMatchObject({ ok: true });
    expect(chain.rules.minerTag(block, chain.head.facts)).toBe('127.0.0.1:5000:0');
    // Padded to the hashing kernel's fast layout: data || previous_hash ends 48 bytes into a chunk.
    expect((template.data.length + 32) % 64).toBe(48);
  });
});
