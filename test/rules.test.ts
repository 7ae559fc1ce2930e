import { afterEach, describe, expect, it, vi } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { DEFAULT_PARAMS, type NetworkParams, encodeParams, subsidy } from '../src/primitives/params.js';
import { type BlockPayload, MAX_MINER_TAG_BYTES, decodePayload, encodePayload } from '../src/primitives/payload.js';
import { workForTarget } from '../src/primitives/target.js';
import { asertTarget, powchainSchedule } from '../src/consensus/asert.js';
import { BlockTree, type TreeEntry } from '../src/consensus/block-tree.js';
import { rulesForGenesis } from '../src/consensus/rules/index.js';
import { DEFAULT_PRUNE_DEPTH, MEDIAN_TIME_SPAN, powchainRules } from '../src/consensus/rules/powchain.js';
import { seedRules } from '../src/consensus/rules/seed.js';

/** The first nonce from 0 whose hash meets `target` (or misses it, with valid false). */
function mine(template: Block, target: bigint, valid = true): Block {
  for (let nonce = 0n; ; nonce++) {
    const block = template.withNonce(nonce);
    if (block.verifyProofOfWork(target) === valid) return block;
  }
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('the seed rules', () => {
  const target = 1n << 252n;
  const good = mine(new Block('good'), target);
  const bad = mine(new Block('bad'), target, false);

  it('check every block against the one target, with the same facts for all of them', () => {
    const rules = seedRules({ target });
    const facts = { target, work: workForTarget(target) };
    for (const check of [rules.checkGenesis, rules.checkWork]) {
      expect(check(good)).toEqual({ ok: true, facts });
      expect(check(bad)).toEqual({ ok: false, reason: 'bad-pow' });
    }
    const root = new BlockTree(good, rules).root;
    expect(rules.checkBlock(good, root, 0)).toEqual({ ok: true, facts });
    expect(rules.checkBlock(bad, root, 0)).toEqual({ ok: false, reason: 'bad-pow' });
    const first = rules.checkGenesis(good);
    expect(first.ok && first.facts).toBe(root.facts);
    expect(rules.nextTarget(root)).toBe(target);
    expect([rules.network, rules.templateLifetimeMs, rules.defaultPruneDepth]).toEqual(['seed', undefined, undefined]);
  });

  it('make a template of the tag itself, at the target', () => {
    const rules = seedRules({ target });
    const root = new BlockTree(good, rules).root;
    expect(rules.template(root, 123, '127.0.0.1:5000:7')).toEqual({ data: text('127.0.0.1:5000:7'), target });
  });

  it('prefer the higher block, and on a tie ask the coin only under the random rule', () => {
    const flips: boolean[] = [];
    const coin = (answer: boolean) => () => {
      flips.push(answer);
      return answer;
    };
    const at = (height: number) => ({ height }) as TreeEntry;
    expect(seedRules({ coinFlip: coin(false) }).prefers(at(2), at(1))).toBe(true);
    expect(seedRules({ coinFlip: coin(true) }).prefers(at(1), at(2))).toBe(false);
    expect(flips).toEqual([]);
    expect(seedRules({ coinFlip: coin(true) }).prefers(at(3), at(3))).toBe(true);
    expect(seedRules({ coinFlip: coin(false) }).prefers(at(3), at(3))).toBe(false);
    expect(seedRules({ tieBreak: 'first-seen', coinFlip: coin(true) }).prefers(at(3), at(3))).toBe(false);
    expect(flips).toEqual([true, false]);
  });

  it("read a block's tag as its data when that is printable UTF-8 of at most 256 bytes", () => {
    const rules = seedRules({ target: MAX_TARGET });
    const tagOf = (data: Uint8Array): string | undefined =>
      rules.minerTag(new Block(data), { target: MAX_TARGET, work: 1n });
    expect(tagOf(text('127.0.0.1:5000:3'))).toBe('127.0.0.1:5000:3');
    expect(tagOf(text('héllo ~'))).toBe('héllo ~');
    expect(tagOf(new Uint8Array(0))).toBe('');
    expect(tagOf(text('a'.repeat(256)))).toBe('a'.repeat(256));
    expect(tagOf(text('a'.repeat(257)))).toBeUndefined();
    expect(tagOf(new Uint8Array([0x61, 0xff]))).toBeUndefined();
    expect(tagOf(new Uint8Array([0xc3]))).toBeUndefined();
    for (const control of [0x00, 0x09, 0x0a, 0x1f, 0x7f])
      expect(tagOf(new Uint8Array([0x61, control]))).toBeUndefined();
    expect(tagOf(text(' '))).toBe(' ');
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("default to the tutorial's target and a fair coin", () => {
    const rules = seedRules();
    expect(rules.target).toBe(1n << 235n);
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.49);
    const at = (height: number) => ({ height }) as TreeEntry;
    expect(rules.prefers(at(1), at(1))).toBe(true);
    random.mockReturnValue(0.5);
    expect(rules.prefers(at(1), at(1))).toBe(false);
  });
});

// A powchain network at an easy target, with a short half-life so times move the target.
const T0 = 1_800_000_000_000;
const params: NetworkParams = {
  ...DEFAULT_PARAMS,
  initialTarget: 1n << 250n,
  halfLifeMs: 1_000,
  genesisTimeMs: T0,
  name: 'rules unit test',
};
const genesis = mine(new Block(encodeParams(params)), params.initialTarget);
const schedule = powchainSchedule(params);

/** A block on `parent` saying `time` (and the truth otherwise), tagged `tag`. */
function childAt(
  parent: TreeEntry,
  time: number,
  tag = `t${time}`,
  transactions: BlockPayload['transactions'] = [],
): Block {
  const height = parent.height + 1;
  const target = asertTarget(schedule, parent.height, parent.facts.time!);
  const payload: BlockPayload = {
    version: 1,
    height,
    time,
    target,
    transactions: [{ kind: 'coinbase', height, tag: text(tag), outputs: [] }, ...transactions],
  };
  return mine(new Block(encodePayload(payload), parent.block), target);
}

describe('choosing the rules by the genesis', () => {
  it('takes a pinned genesis by its hash and refuses any other, quoting 16 digits of the pin', () => {
    expect(rulesForGenesis(genesis, { seed: {}, genesisHash: genesis.hashHex() })).toMatchObject({
      ok: true,
      rules: { network: 'powchain', genesisHash: genesis.hashHex() },
    });
    const pin = 'ab'.repeat(32);
    expect(rulesForGenesis(genesis, { seed: {}, genesisHash: pin })).toEqual({
      ok: false,
      reason: 'bad-genesis',
      detail: `not the genesis ${'ab'.repeat(8)}… this node was told to follow`,
    });
  });

  it("gives a broken parameters record's reason, and a seed genesis without work bad-pow", () => {
    const broken = new Block(encodeParams(params).subarray(0, 40));
    const verdict = rulesForGenesis(broken, { seed: {} });
    expect(verdict).toMatchObject({ ok: false, reason: 'bad-genesis' });
    expect(!verdict.ok && verdict.detail).toMatch(/^[a-z].+/);
    const lazy = mine(new Block('Genesis'), 1n << 250n, false);
    expect(rulesForGenesis(lazy, { seed: { target: 1n << 250n } })).toEqual({ ok: false, reason: 'bad-pow' });
    expect(rulesForGenesis(lazy, { seed: { target: MAX_TARGET } })).toMatchObject({
      ok: true,
      rules: { network: 'seed' },
    });
  });
});

describe('the powchain rules', () => {
  const rules = () => powchainRules(params, genesis.hashHex());
  const tree = () => new BlockTree(genesis, rules());

  it('refuse a genesis that is not this network’s, saying why', () => {
    const r = rules();
    expect(r.checkGenesis(new Block('Genesis'))).toEqual({
      ok: false,
      reason: 'bad-genesis',
      detail: 'its data is not a parameters record',
    });
    const notFirst = new Block(encodeParams(params), new Uint8Array(32).fill(1));
    expect(r.checkGenesis(notFirst)).toEqual({
      ok: false,
      reason: 'bad-genesis',
      detail: 'its previous_hash is not all zero',
    });
    const broken = new Block(encodeParams(params).subarray(0, 40));
    const refused = r.checkGenesis(broken);
    expect(refused).toMatchObject({ ok: false, reason: 'bad-genesis' });
    expect(!refused.ok && refused.detail).not.toBe('its data is not a parameters record');
    const lazy = mine(new Block(encodeParams(params)), params.initialTarget, false);
    expect(powchainRules(params, lazy.hashHex()).checkGenesis(lazy)).toEqual({ ok: false, reason: 'bad-pow' });
    expect(r.checkGenesis(genesis)).toEqual({
      ok: true,
      facts: { target: params.initialTarget, work: workForTarget(params.initialTarget), time: T0, payload: undefined },
    });
    expect([r.network, r.defaultPruneDepth, DEFAULT_PRUNE_DEPTH, MEDIAN_TIME_SPAN]).toEqual(['powchain', 100, 100, 11]);
  });

  it('check the work a block claims without its parent', () => {
    const chain = tree();
    const block = childAt(chain.root, T0 + 1_000);
    expect(chain.rules.checkWork(block)).toEqual({ ok: true });
    const lazy = mine(new Block(block.data, chain.root.block), params.initialTarget, false);
    expect(chain.rules.checkWork(lazy)).toEqual({ ok: false, reason: 'bad-pow' });
    const garbage = chain.rules.checkWork(new Block('not a payload'));
    expect(garbage).toMatchObject({ ok: false, reason: 'bad-payload' });
    expect(!garbage.ok && garbage.detail).toMatch(/\w/);
  });

  it('decode a payload once per block', () => {
    const r = rules();
    const block = childAt(new BlockTree(genesis, r).root, T0 + 1_000);
    const first = r.payloadOf(block);
    expect(first.ok).toBe(true);
    expect(r.payloadOf(block)).toBe(first);
    expect(r.payloadOf(new Block(block.data))).not.toBe(first);
  });

  it('say which time, median, clock and target a refused block had', () => {
    const chain = tree();
    const now = T0 + 10_000;
    expect(chain.check(childAt(chain.root, T0), now)).toEqual({
      ok: false,
      reason: 'time-too-old',
      detail: `time ${T0} is not after the median time past ${T0}`,
    });
    expect(chain.check(childAt(chain.root, now + 120_001), now)).toEqual({
      ok: false,
      reason: 'time-too-new',
      detail: `time ${now + 120_001} is 120001 ms ahead of this node's clock`,
    });
    const payload: BlockPayload = {
      version: 1,
      height: 1,
      time: T0 + 1_000,
      target: params.initialTarget - 1n,
      transactions: [{ kind: 'coinbase', height: 1, tag: text('x'), outputs: [] }],
    };
    const wrongTarget = mine(new Block(encodePayload(payload), genesis), params.initialTarget - 1n);
    expect(chain.check(wrongTarget, now)).toEqual({
      ok: false,
      reason: 'bad-target',
      detail: `target 0x${(params.initialTarget - 1n).toString(16)}, ASERT says 0x${params.initialTarget.toString(16)}`,
    });
  });

  it('take the median of the last 11 times, sorted, whatever order the chain has them in', () => {
    const chain = tree();
    const add = (time: number): TreeEntry => {
      const verdict = chain.append(childAt(chain.head, time), Number.MAX_SAFE_INTEGER);
      if (!verdict.ok) throw new Error(`${time} refused: ${verdict.reason}`);
      return verdict.entry;
    };
    add(T0 + 5_000);
    add(T0 + 6_000);
    const tip = add(T0 + 5_500); // times from the tip back: 5500, 6000, 5000, 0: the median is 5500
    expect(chain.check(childAt(tip, T0 + 5_400), Number.MAX_SAFE_INTEGER)).toMatchObject({
      reason: 'time-too-old',
      detail: `time ${T0 + 5_400} is not after the median time past ${T0 + 5_500}`,
    });
    expect(chain.check(childAt(tip, T0 + 5_501), Number.MAX_SAFE_INTEGER)).toMatchObject({ ok: true });
  });

  it('look back 11 blocks, no further', () => {
    const chain = tree();
    for (let i = 1; i <= 12; i++) {
      chain.append(childAt(chain.head, T0 + i * 1_000), Number.MAX_SAFE_INTEGER);
    }
    // Heights 2..12 make the median: height 7. Counting the genesis and height 1 would make it height 6.
    expect(chain.check(childAt(chain.head, T0 + 7_000), Number.MAX_SAFE_INTEGER)).toMatchObject({
      reason: 'time-too-old',
      detail: `time ${T0 + 7_000} is not after the median time past ${T0 + 7_000}`,
    });
  });

  it("pass the chain state's refusal on, and keep a block its ledger accepts", () => {
    const r = rules();
    const chain = new BlockTree(genesis, r);
    r.chainState(chain);
    // A coinbase that pays out more than the subsidy: the ledger's refusal, as the rules say it.
    const greedy = (parent: TreeEntry, time: number, amount: bigint): Block => {
      const height = parent.height + 1;
      const target = asertTarget(schedule, parent.height, parent.facts.time!);
      const outputs = [{ amount, keyHash: new Uint8Array(20).fill(7) }];
      const payload: BlockPayload = {
        version: 1,
        height,
        time,
        target,
        transactions: [{ kind: 'coinbase', height, tag: text('greedy'), outputs }],
      };
      return mine(new Block(encodePayload(payload), parent.block), target);
    };
    const reward = subsidy(params, 1);
    const refused = chain.check(greedy(chain.root, T0 + 1_000, reward + 1n), T0 + 1_000);
    expect(refused).toMatchObject({ ok: false, reason: 'bad-coinbase' });
    const block = greedy(chain.root, T0 + 1_000, reward);
    expect(chain.append(block, T0 + 1_000)).toMatchObject({ ok: true, entry: { facts: { time: T0 + 1_000 } } });
  });

  it('make a template no earlier than just after the median time past, at the ASERT target, with a tag that fits', () => {
    const r = rules();
    const chain = new BlockTree(genesis, r);
    const parent = chain.append(childAt(chain.root, T0 + 5_000), Number.MAX_SAFE_INTEGER);
    if (!parent.ok) throw new Error('parent refused');
    // A clock behind the chain: the template's time is the median time past + 1.
    const late = r.template(parent.entry, T0 + 10, 'tag');
    const decoded = decodePayload(late.data, params.maxBlockBytes);
    expect(decoded.ok && decoded.value.time).toBe(T0 + 5_001);
    const onTime = r.template(parent.entry, T0 + 9_000, 'tag');
    const decodedOnTime = decodePayload(onTime.data, params.maxBlockBytes);
    expect(decodedOnTime.ok && decodedOnTime.value).toMatchObject({
      time: T0 + 9_000,
      height: 2,
      target: onTime.target,
    });
    expect(onTime.target).toBe(r.nextTarget(parent.entry));
    // The tag is cut to what fits, and read back without its padding.
    const long = r.template(parent.entry, T0 + 9_000, 'x'.repeat(500));
    const block = new Block(long.data, parent.entry.block);
    expect(r.minerTag(block, parent.entry.facts)).toBe('x'.repeat(MAX_MINER_TAG_BYTES));
  });

  it('renew templates twice a block interval, between 250 ms and 5 s', () => {
    const lifetime = (blockIntervalMs: number) => powchainRules({ ...params, blockIntervalMs }, 'x').templateLifetimeMs;
    expect([100, 499, 500, 501, 503, 1_000, 9_999, 10_000, 10_002, 60_000].map(lifetime)).toEqual([
      250, 250, 250, 250, 251, 500, 4_999, 5_000, 5_000, 5_000,
    ]);
  });

  it("read the miner's tag from the coinbase, without its padding, when it is UTF-8", () => {
    const r = rules();
    const root = new BlockTree(genesis, r).root;
    const tagged = (tag: Uint8Array): Block => {
      const payload: BlockPayload = {
        version: 1,
        height: 1,
        time: T0 + 1,
        target: params.initialTarget,
        transactions: [{ kind: 'coinbase', height: 1, tag, outputs: [] }],
      };
      return new Block(encodePayload(payload), genesis);
    };
    expect(r.minerTag(tagged(Uint8Array.from([...text('a:1'), 0, 0, 0])), root.facts)).toBe('a:1');
    expect(r.minerTag(tagged(Uint8Array.from([0, ...text('b'), 0])), root.facts)).toBe('\u0000b');
    expect(r.minerTag(tagged(new Uint8Array(4)), root.facts)).toBe('');
    expect(r.minerTag(tagged(new Uint8Array(0)), root.facts)).toBe('');
    expect(r.minerTag(tagged(Uint8Array.from([0x61, 0xff, 0])), root.facts)).toBeUndefined();
    expect(r.minerTag(new Block('not a payload'), root.facts)).toBeUndefined();
  });
});
