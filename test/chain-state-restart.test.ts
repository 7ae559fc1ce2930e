import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { hexToBytes } from '../src/primitives/bytes.js';
import { addressOf, keyHash } from '../src/primitives/coin-address.js';
import { type KeyPair, generateKeyPair } from '../src/primitives/keys.js';
import { DEFAULT_PARAMS, type NetworkParams, encodeParams } from '../src/primitives/params.js';
import type { TransferTx } from '../src/primitives/tx.js';
import { transfer } from './helpers/ledger-chain.js';
import { encodeBlock } from '../src/primitives/wire.js';
import { BlockTree } from '../src/consensus/block-tree.js';
import type { ChainState } from '../src/consensus/chain-state.js';
import { powchainRules } from '../src/consensus/rules/powchain.js';
import { type NodeProcess, isHead, spawnNode } from '../src/cli/node-process.js';
import { freeNodePorts } from './helpers/ports.js';
import { mineBlock } from './helpers/powchain-chain.js';

// A node killed with SIGKILL while it reorganises from one branch to another, each spending
// the same coin differently, and restarted from its --data-dir, ends in the same chain state
// as a node that never stopped.

const running: NodeProcess[] = [];
const dirs: string[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()));
  for (const socket of sockets.splice(0)) socket.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const params: NetworkParams = {
  ...DEFAULT_PARAMS,
  initialTarget: 1n << 250n,
  coinbaseMaturity: 2,
  genesisTimeMs: Date.now() - 3_600_000,
};

/** A reference chain kept in process: a tree and its chain state, paying `miner`. */
class Reference {
  readonly tree: BlockTree;
  readonly state: ChainState;

  constructor(genesis: Block, miner: KeyPair) {
    const rules = powchainRules(params, genesis.hashHex());
    this.tree = new BlockTree(genesis, rules);
    this.state = rules.chainState(this.tree, { payTo: keyHash(miner.publicKey) });
  }

  /** Mines the next block on the head, with what the mempool holds. */
  mine(tag: string): Block {
    const parent = this.tree.head;
    const { data, target } = this.tree.rules.template(parent, parent.facts.time! + params.blockIntervalMs, tag);
    const block = mineBlock(new Block(data, parent.block), target);
    this.take(block);
    return block;
  }

  take(block: Block): void {
    const verdict = this.tree.append(block, Number.MAX_SAFE_INTEGER);
    if (!verdict.ok) throw new Error(`reference refused a block: ${verdict.reason} ${verdict.detail ?? ''}`);
    this.state.followHead();
  }

  /** A transfer of `amount` from `from`'s first spendable coin to `to`, change back. */
  pay(from: KeyPair, to: KeyPair, amount: bigint): TransferTx {
    const [coin] = this.state.ledger
      .unspent(keyHash(from.publicKey))
      .filter(({ coin }) => this.state.spendableAt(coin));
    if (!coin) throw new Error('no spendable coin');
    const fee = 1_000n;
    const tx = transfer(
      [{ from: coin.outpoint.txid, index: coin.outpoint.index, key: from }],
      [
        [amount, to],
        [coin.coin.amount - amount - fee, from],
      ],
      hexToBytes(this.state.rules.genesisHash),
    );
    const added = this.state.add(tx);
    if (!added.ok) throw new Error(`reference mempool refused: ${added.reason} ${added.detail}`);
    return tx;
  }
}

async function socket(): Promise<Socket> {
  const created = createSocket('udp4');
  await new Promise<void>((resolve) => created.bind(0, '127.0.0.1', () => resolve()));
  sockets.push(created);
  return created;
}

const sendBlock = (from: Socket, port: number, block: Block): Promise<void> =>
  new Promise((resolve) => from.send(encodeBlock(block), port, '127.0.0.1', () => resolve()));

async function sendAll(from: Socket, port: number, blocks: readonly Block[]): Promise<void> {
  for (const block of blocks) {
    await sendBlock(from, port, block);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

async function apiGet<T>(port: number, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe('chain state across a kill -9 in the middle of a reorganisation', () => {
  it('restarts into the state of a node that never stopped', async () => {
    const miner = generateKeyPair();
    const carol = generateKeyPair();
    const dave = generateKeyPair();
    const genesis = mineBlock(new Block(encodeParams(params)), params.initialTarget);
    // Shared prefix, then two branches spending one coin to different people: M (to Carol, ten
    // blocks) and F (to Dave, fifteen blocks: more work, so the node reorganises to it).
    const main = new Reference(genesis, miner);
    const prefix: Block[] = [];
    for (let i = 0; i < 8; i++) prefix.push(main.mine(`p${i}`));
    const fork = new Reference(genesis, miner);
    for (const block of prefix) fork.take(block);
    main.pay(miner, carol, 5_000_000n);
    fork.pay(miner, dave, 7_000_000n);
    const branchM: Block[] = [];
    for (let i = 0; i < 10; i++) branchM.push(main.mine(`m${i}`));
    const branchF: Block[] = [];
    for (let i = 0; i < 15; i++) branchF.push(fork.mine(`f${i}`));
    const expected = fork.state.ledger;

    for (const killAfterMs of [0, 12, 40]) {
      const [port] = await freeNodePorts(1);
      const dir = mkdtempSync(join(tmpdir(), 'powchain-reorg-'));
      dirs.push(dir);
      const args = [`127.0.0.1:${port}`, '', '--no-mine', '--data-dir', dir];
      const first = spawnNode(args, 'first life');
      running.push(first);
      await first.waitFor((event) => event.event === 'listening', 20_000);
      const from = await socket();
      await sendAll(from, port!, [genesis, ...prefix, ...branchM]);
      await first.waitFor((event) => isHead(event) && event.hash === branchM.at(-1)!.hashHex(), 20_000);
      // F overtakes M at its eleventh block: the reorganisation starts there. Kill around it.
      await sendAll(from, port!, branchF.slice(0, 11));
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      first.kill();
      await first.exited;
      const second = spawnNode(args, 'second life');
      running.push(second);
      await second.waitFor((event) => event.event === 'api', 20_000);
      await sendAll(from, port!, [...prefix, ...branchM, ...branchF]);
      await second.waitFor((event) => isHead(event) && event.hash === branchF.at(-1)!.hashHex(), 20_000);
      const status = await apiGet<{ supply: { unspent: string } }>(port!, '/api/status');
      expect(status.supply.unspent).toBe(expected.supply().toString());
      for (const key of [miner, carol, dave]) {
        const address = await apiGet<{ balance: string }>(port!, `/api/address/${addressOf(key.publicKey)}`);
        expect({ killAfterMs, balance: address.balance }).toEqual({
          killAfterMs,
          balance: expected.balance(keyHash(key.publicKey)).toString(),
        });
      }
      await second.stop();
    }
  }, 120_000);
});
