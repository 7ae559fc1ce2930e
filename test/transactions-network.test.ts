import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/primitives/bytes.js';
import { addressOf, keyHash } from '../src/primitives/coin-address.js';
import { generateKeyPair } from '../src/primitives/keys.js';
import { DEFAULT_PARAMS, encodeParams, subsidy } from '../src/primitives/params.js';
import { encodeTx, signTransfer } from '../src/primitives/tx.js';
import { type PeerAddress } from '../src/net/address.js';
import { encodeTxMessage } from '../src/net/messages.js';
import { MinerNode, type MinerNodeOptions } from '../src/node/miner-node.js';
import type { NodeEvent } from '../src/node/events.js';
import { NodeSource } from '../src/api/node-source.js';
import { MemoryNetwork } from './helpers/memory-network.js';
import { QuickMiner } from './helpers/quick-miner.js';
import { until } from './helpers/wait.js';

// Two powchain nodes in process, paying their miners, moving coins between keys.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const address = (i: number): PeerAddress => ({ host: '127.0.0.1', port: 6200 + i });
const params = {
  ...DEFAULT_PARAMS,
  initialTarget: 1n << 248n,
  blockIntervalMs: 100,
  halfLifeMs: 3_000,
  coinbaseMaturity: 3,
};

function start(network: MemoryNetwork, index: number, payTo: Uint8Array, options: Partial<MinerNodeOptions> = {}) {
  const miner = new QuickMiner(10, index + 1);
  const events: NodeEvent[] = [];
  const node = new MinerNode({
    transport: network.bind(address(index)),
    miner,
    peers: [address(0), address(1)],
    genesis: false,
    network: { seed: {} },
    hashrateIntervalMs: 0,
    helloIntervalMs: 50,
    tickIntervalMs: 20,
    beaconIntervalMs: 50,
    payTo: () => payTo,
    ...options,
  });
  const source = new NodeSource(node);
  node.onEvent((event) => events.push(event));
  void node.run();
  cleanups.push(() => node.stop());
  return { node, miner, events, source };
}

describe('transactions between powchain nodes', () => {
  it('pays each miner, moves coins from one to a new key, and every coin adds up to the subsidies paid', async () => {
    const network = new MemoryNetwork({ maxDelayMs: 3, seed: 5 });
    cleanups.push(() => network.close());
    const alice = generateKeyPair();
    const bob = generateKeyPair();
    const carol = generateKeyPair();
    const b = start(network, 1, keyHash(bob.publicKey));
    const a = start(network, 0, keyHash(alice.publicKey), {
      genesis: true,
      genesisTemplate: (now) => ({
        data: encodeParams({ ...params, genesisTimeMs: now }),
        target: params.initialTarget,
      }),
    });
    // Alice needs a mature coinbase: mine past the maturity.
    await until(() => (a.node.chainState?.ledger.height ?? 0) >= 8, 30_000, 'height 8');
    const state = a.node.chainState!;
    const [coin] = state.ledger.unspent(keyHash(alice.publicKey)).filter(({ coin }) => state.spendableAt(coin));
    expect(coin).toBeDefined();
    const fee = 500n;
    const unsigned = {
      kind: 'transfer' as const,
      inputs: [{ txid: coin!.outpoint.txid, index: coin!.outpoint.index, publicKey: alice.publicKey }],
      outputs: [
        { amount: 1_000_000n, keyHash: keyHash(carol.publicKey) },
        { amount: coin!.coin.amount - 1_000_000n - fee, keyHash: keyHash(alice.publicKey) },
      ],
    };
    const tx = signTransfer(unsigned, [alice.privateKey], hexToBytes(state.rules.genesisHash));
    const submitted = a.node.submitTransaction(tx);
    expect(submitted).toMatchObject({ ok: true });
    const txid = submitted.ok ? submitted.txid : '';
    // Relayed to B's mempool, then confirmed in a block both nodes hold.
    await until(
      () => b.node.chainState?.confirmed(txid) !== undefined && a.node.chainState?.confirmed(txid) !== undefined,
      30_000,
      'the transfer confirmed on both nodes',
    );
    expect(b.events.some((event) => event.event === 'tx' && event.txid === txid)).toBe(true);
    // Equal work keeps each node's first-seen tip: let A alone mine two more blocks to settle it.
    b.miner.enabled = false;
    const settleFrom = a.node.tree!.head.height;
    await until(() => a.node.tree!.head.height >= settleFrom + 2, 10_000, 'two more blocks from A');
    a.miner.enabled = false;
    await until(() => a.node.tree!.head.hash === b.node.tree!.head.hash, 10_000, 'one head');
    for (const n of [a, b]) {
      const ledger = n.node.chainState!.ledger;
      expect(ledger.balance(keyHash(carol.publicKey))).toBe(1_000_000n);
      // Fees move coins, they create none: the supply is what the coinbases paid.
      let paid = 0n;
      for (let height = 1; height <= ledger.height; height++) paid += subsidy(params, height);
      expect(ledger.supply()).toBe(paid);
    }
    // The API shows it.
    const carolAddress = (await import('../src/primitives/coin-address.js')).addressOf(carol.publicKey);
    const answer = b.source.transactions!.address(carolAddress);
    expect(answer).toMatchObject({
      ok: true,
      address: { balance: '1000000', unspent: [{ amount: '1000000', spendable: true }] },
    });
    expect(b.source.transactions!.tx(txid)).toMatchObject({
      txid,
      height: expect.any(Number),
      block: expect.any(String),
    });
  });

  it('shows a waiting transfer in both addresses: its outputs spendable in turn, its effect in the history', async () => {
    const network = new MemoryNetwork();
    cleanups.push(() => network.close());
    const alice = generateKeyPair();
    const carol = generateKeyPair();
    const a = start(network, 0, keyHash(alice.publicKey), {
      genesis: true,
      genesisTemplate: (now) => ({
        data: encodeParams({ ...params, genesisTimeMs: now }),
        target: params.initialTarget,
      }),
    });
    await until(() => (a.node.chainState?.ledger.height ?? 0) >= 5, 30_000, 'height 5');
    a.miner.enabled = false;
    const state = a.node.chainState!;
    const [coin] = state.ledger.unspent(keyHash(alice.publicKey)).filter(({ coin }) => state.spendableAt(coin));
    const tx = signTransfer(
      {
        kind: 'transfer',
        inputs: [{ txid: coin!.outpoint.txid, index: coin!.outpoint.index, publicKey: alice.publicKey }],
        outputs: [
          { amount: 2_000_000n, keyHash: keyHash(carol.publicKey) },
          { amount: coin!.coin.amount - 2_000_000n - 500n, keyHash: keyHash(alice.publicKey) },
        ],
      },
      [alice.privateKey],
      hexToBytes(state.rules.genesisHash),
    );
    const submitted = a.source.transactions!.submit(encodeTx(tx));
    expect(submitted).toMatchObject({ ok: true });
    const txid = submitted.ok ? submitted.txid : '';
    const carolView = a.source.transactions!.address(addressOf(carol.publicKey));
    expect(carolView).toEqual({
      ok: true,
      address: {
        address: addressOf(carol.publicKey),
        balance: '0',
        unspent: [
          { txid, index: 0, amount: '2000000', height: null, coinbase: false, spentInMempool: false, spendable: true },
        ],
        history: [{ txid, height: null, delta: '2000000' }],
      },
    });
    const aliceView = a.source.transactions!.address(addressOf(alice.publicKey));
    if (!aliceView.ok) throw new Error(aliceView.reason);
    expect(aliceView.address.history[0]).toEqual({ txid, height: null, delta: (-2_000_500n).toString() });
    expect(aliceView.address.unspent.find((entry) => entry.txid === bytesToHex(coin!.outpoint.txid))).toMatchObject({
      spentInMempool: true,
      spendable: false,
    });
    expect(aliceView.address.unspent.find((entry) => entry.txid === txid)).toMatchObject({
      index: 1,
      height: null,
      spendable: true,
    });
  });

  /**
   * A genesis node whose miner holds mature coins (then stops mining), and a sender that has
   * validated its address: `forged(n, copy)` is a transfer of Alice's coin signed by Mallory
   * (outputs differing with n, signature bytes with copy), `send` sends transfers in one go.
   */
  async function forgery(network: MemoryNetwork, banThreshold: number, options: Partial<MinerNodeOptions> = {}) {
    const alice = generateKeyPair();
    const mallory = generateKeyPair();
    const a = start(network, 0, keyHash(alice.publicKey), {
      genesis: true,
      genesisTemplate: (now) => ({
        data: encodeParams({ ...params, genesisTimeMs: now }),
        target: params.initialTarget,
      }),
      peerLimits: { banThreshold },
      ...options,
    });
    await until(() => (a.node.chainState?.ledger.height ?? 0) >= 5, 30_000, 'height 5');
    a.miner.enabled = false;
    const state = a.node.chainState!;
    const [coin] = state.ledger.unspent(keyHash(alice.publicKey)).filter(({ coin }) => state.spendableAt(coin));
    const genesisHash = hexToBytes(state.rules.genesisHash);
    // Mallory signs with her key but names Alice's public key: the signature cannot verify.
    const forged = (n: bigint, copy = 0) => {
      const tx = signTransfer(
        {
          kind: 'transfer',
          inputs: [{ txid: coin!.outpoint.txid, index: coin!.outpoint.index, publicKey: mallory.publicKey }],
          outputs: [{ amount: 1_000n + n, keyHash: keyHash(mallory.publicKey) }],
        },
        [mallory.privateKey],
        genesisHash,
      );
      return {
        ...tx,
        inputs: tx.inputs.map((input) => {
          const signature = Uint8Array.from(input.signature);
          signature[0]! ^= copy;
          return { ...input, publicKey: alice.publicKey, signature };
        }),
      };
    };
    const sender = network.bind(address(1));
    cleanups.push(() => sender.close());
    // The sender must speak the extended protocol first: a block of its own with valid work is not needed;
    // an echo of the node's token is. It says hello, takes the genesis' token, and echoes it.
    const received: string[] = [];
    sender.onDatagram((payload) => received.push(new TextDecoder().decode(payload)));
    const { encodeHello, decodeMessage } = await import('../src/net/messages.js');
    await sender.send(address(0), new TextEncoder().encode(encodeHello(0, 'ab'.repeat(32), 'cd'.repeat(32), 1n)));
    await until(() => received.length > 0, 5_000, 'the introduction');
    const intro = decodeMessage(received[0]!);
    const echo = intro.ok ? intro.message.auth.token! : '';
    const send = async (txs: ReturnType<typeof forged>[]) => {
      for (const tx of txs) {
        await sender.send(address(0), new TextEncoder().encode(encodeTxMessage(encodeTx(tx), { echo })));
      }
    };
    const banned = () =>
      until(
        () => a.events.some((event) => event.event === 'warning' && event.message.includes('banned 127.0.0.1:6201')),
        10_000,
        'the ban',
      );
    return { a, state, forged, send, banned };
  }

  it("refuses and counts against its sender a transfer whose signature is not the owner's", async () => {
    const network = new MemoryNetwork();
    cleanups.push(() => network.close());
    const { a, state, forged, send, banned } = await forgery(network, 3);
    await send([0n, 1n, 2n].map((n) => forged(n)));
    await banned();
    const refusals = a.events.filter((event) => event.event === 'tx' && event.status === 'rejected');
    expect(refusals.map((event) => event.event === 'tx' && event.reason)).toEqual([
      'bad-signature',
      'bad-signature',
      'bad-signature',
    ]);
    expect(state.mempool.size).toBe(0);
  });

  it('counts every forged copy of one transfer against its sender, though the copies wait in one batch', async () => {
    const network = new MemoryNetwork();
    cleanups.push(() => network.close());
    const { a, state, forged, send, banned } = await forgery(network, 3);
    // One txid, three signatures: each copy is verified, and each failure is the sender's.
    await send([1, 2, 3].map((copy) => forged(0n, copy)));
    const refusals = () => a.events.filter((event) => event.event === 'tx' && event.status === 'rejected');
    await until(() => refusals().length === 3, 10_000, 'three refusals');
    expect(refusals().map((event) => event.event === 'tx' && [event.reason, event.from])).toEqual([
      ['bad-signature', '127.0.0.1:6201'],
      ['bad-signature', '127.0.0.1:6201'],
      ['bad-signature', '127.0.0.1:6201'],
    ]);
    // The third failure is the sender's third strike, counted as it is reported.
    await banned();
    expect(state.mempool.size).toBe(0);
  });

  it('checks at most verificationsPerSecond signatures a second, whoever sent them; the rest wait their turn', async () => {
    const network = new MemoryNetwork();
    cleanups.push(() => network.close());
    const perSecond = 20;
    const { a, forged, send } = await forgery(network, 1_000, { verificationsPerSecond: perSecond });
    const refused = () =>
      a.events.filter(
        (event) => event.event === 'tx' && event.status === 'rejected' && event.reason === 'bad-signature',
      ).length;
    const began = Date.now();
    await send(Array.from({ length: 60 }, (_, n) => forged(BigInt(n))));
    // However slow the machine, no more than a second's budget (it started full) and what it
    // refilled since: an upper bound, checked while they wait.
    while (refused() < 60) {
      const allowed = perSecond + Math.ceil(((Date.now() - began) / 1000) * perSecond);
      expect(refused()).toBeLessThanOrEqual(allowed);
      if (Date.now() - began > 20_000) throw new Error(`only ${refused()} of 60 checked after 20 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // All 60 took at least the two seconds the budget gives 40 more.
    expect(Date.now() - began).toBeGreaterThanOrEqual(((60 - perSecond) / perSecond) * 1000 - 100);
  });

  it('refuses a budget of less than one check a second', () => {
    const network = new MemoryNetwork();
    cleanups.push(() => network.close());
    expect(() => start(network, 0, new Uint8Array(20), { verificationsPerSecond: 0.5 })).toThrow(
      new RangeError('verificationsPerSecond must be at least 1, got 0.5'),
    );
  });
});
