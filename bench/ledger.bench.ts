/**
 * Measures the ledger and the mempool on one thread (docs/ledger.md "Measured"):
 *   - Mempool.add of 1-input, 2-output transfers, signatures verified (fresh signature
 *     cache, public keys already parsed: the node's steady state), and precheck alone;
 *   - the refusal of forged transfers (cheap checks pass, the signature fails), and of the
 *     same forged transfers sent again (answered by the signature cache);
 *   - how many such transfers the template puts in a default 32 KiB block, and select()'s cost;
 *   - Ledger.checkBlock of that full block with a cold signature cache and with the cache
 *     the mempool filled, reorganize() connecting it after the check, and checkBlock of a
 *     block on a fork 10 full blocks deep (its route walked);
 *   - the snapshot codec over 100,000 coins.
 * Every figure is the median CPU time of SAMPLES runs. Run with `npx tsx bench/ledger.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { Ledger, type BlockRef } from '../src/consensus/ledger/ledger.js';
import { Mempool } from '../src/consensus/ledger/mempool.js';
import { SignatureCache } from '../src/consensus/ledger/signature-cache.js';
import { decodeSnapshot, encodeSnapshot } from '../src/consensus/ledger/snapshot.js';
import { templateTransactions } from '../src/consensus/ledger/template.js';
import { bytesToHex } from '../src/primitives/bytes.js';
import { keyHash } from '../src/primitives/coin-address.js';
import { keyPairFromSeed, type KeyPair } from '../src/primitives/keys.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { DEFAULT_PARAMS, type NetworkParams } from '../src/primitives/params.js';
import { PAYLOAD_VERSION } from '../src/primitives/payload.js';
import { encodeTx, signTransfer, type TransferTx } from '../src/primitives/tx.js';
import type { Coin } from '../src/consensus/ledger/coins.js';

const SAMPLES = 7;
const TRANSFERS = 2_000;
const SIGNERS = 500;
const PARAMS: NetworkParams = { ...DEFAULT_PARAMS, genesisTimeMs: 0, initialTarget: MAX_TARGET };
const GENESIS = new Uint8Array(32).fill(0x42);
const TIP = 'ab'.repeat(32);
const HEIGHT = 1_000;
const AMOUNT = 100_000_000n;
const FEE = 1_000n;

const signers: KeyPair[] = Array.from({ length: SIGNERS }, (_, i) => {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, i + 1);
  return keyPairFromSeed(seed);
});

/** One confirmed coin per transfer, owned by the signers in turn, at a made-up txid. */
const coins: [string, Coin][] = [];
const transfers: TransferTx[] = [];
for (let i = 0; i < TRANSFERS; i++) {
  const signer = signers[i % SIGNERS]!;
  const source = new Uint8Array(32);
  new DataView(source.buffer).setUint32(0, i + 1);
  coins.push([
    `${bytesToHex(source)}:0`,
    { amount: AMOUNT, keyHash: keyHash(signer.publicKey), height: 1, coinbase: false },
  ]);
  const payee = keyHash(signers[(i + 1) % SIGNERS]!.publicKey);
  transfers.push(
    signTransfer(
      {
        kind: 'transfer',
        inputs: [{ txid: source, index: 0, publicKey: signer.publicKey }],
        outputs: [
          { amount: AMOUNT / 2n, keyHash: payee },
          { amount: AMOUNT / 2n - FEE - BigInt(i), keyHash: keyHash(signer.publicKey) },
        ],
      },
      [signer.privateKey],
      GENESIS,
    ),
  );
}
const forged = transfers.map((tx) => {
  const signature = tx.inputs[0]!.signature.slice();
  signature[7]! ^= 1;
  return { ...tx, inputs: [{ ...tx.inputs[0]!, signature }] };
});

const freshLedger = (): Ledger =>
  Ledger.fromState(
    PARAMS,
    GENESIS,
    { tip: TIP, height: HEIGHT, coins, undo: [] },
    { signatures: new SignatureCache() },
  );

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const wallRatios: number[] = [];

/**
 * Median time of `run` over SAMPLES runs after one warm-up; `setup` is not timed. The time
 * is this process's CPU time (user + system), which other processes on a shared machine
 * disturb far less than wall time; wall time is kept to show how loaded the machine was.
 */
function measure<T>(setup: () => T, run: (state: T) => void): number {
  run(setup()); // warm-up: JIT, and every signer's public key parsed once (the key cache)
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const state = setup();
    const startWall = performance.now();
    const startCpu = process.cpuUsage();
    run(state);
    const used = process.cpuUsage(startCpu);
    wall.push(performance.now() - startWall);
    cpu.push((used.user + used.system) / 1_000);
  }
  wallRatios.push(median(wall) / median(cpu));
  return median(cpu);
}

const nothing = (): undefined => undefined;
const freshPool = () => ({ ledger: freshLedger(), pool: new Mempool() });

const rows: Record<string, string | number>[] = [];
const perSecond = (count: number, ms: number): number => Math.round((count * 1_000) / ms);

// Mempool.add with signature verification, and precheck alone.
const addMs = measure(freshPool, ({ ledger, pool }) => {
  for (const tx of transfers) if (!pool.add(tx, ledger).ok) throw new Error('refused');
});
rows.push({
  measure: 'Mempool.add (signatures verified)',
  'median cpu ms': +addMs.toFixed(1),
  'per second': perSecond(TRANSFERS, addMs),
});
const precheckMs = measure(freshPool, ({ ledger, pool }) => {
  for (const tx of transfers) if (!pool.precheck(tx, ledger).ok) throw new Error('refused');
});
rows.push({
  measure: 'Mempool.precheck only',
  'median cpu ms': +precheckMs.toFixed(1),
  'per second': perSecond(TRANSFERS, precheckMs),
});
const forgedMs = measure(freshPool, ({ ledger, pool }) => {
  for (const tx of forged) if (pool.add(tx, ledger).ok) throw new Error('accepted a forgery');
});
rows.push({
  measure: 'forged transfers refused (verified)',
  'median cpu ms': +forgedMs.toFixed(1),
  'per second': perSecond(TRANSFERS, forgedMs),
});
const repeat = freshPool();
for (const tx of forged) repeat.pool.add(tx, repeat.ledger);
const repeatMs = measure(nothing, () => {
  for (const tx of forged) if (repeat.pool.add(tx, repeat.ledger).ok) throw new Error('accepted a forgery');
});
rows.push({
  measure: 'forged transfers sent again (cache)',
  'median cpu ms': +repeatMs.toFixed(1),
  'per second': perSecond(TRANSFERS, repeatMs),
});

// The template for the default 32 KiB block, and checkBlock of it.
const ledger = freshLedger();
const pool = new Mempool();
for (const tx of transfers) pool.add(tx, ledger);
const tag = new TextEncoder().encode('192.168.100.200:65535:12');
const payTo = keyHash(signers[0]!.publicKey);
const template = templateTransactions(ledger, pool, { tag, payTo });
const selectMs = measure(nothing, () => templateTransactions(ledger, pool, { tag, payTo }));
const blockBytes = template.transactions.reduce((sum, tx) => sum + encodeTx(tx).length, 47);
rows.push({
  measure: `template: ${template.transactions.length - 1} transfers of ${encodeTx(transfers[0]!).length} bytes, payload ${blockBytes} bytes before padding`,
  'median cpu ms': +selectMs.toFixed(2),
  'per second': '',
});
const block: BlockRef = {
  hash: 'cd'.repeat(32),
  parentHash: TIP,
  height: HEIGHT + 1,
  payload: {
    version: PAYLOAD_VERSION,
    height: HEIGHT + 1,
    time: 0,
    target: MAX_TARGET,
    transactions: template.transactions,
  },
};
const coldMs = measure(freshLedger, (fresh) => {
  if (!fresh.checkBlock(block).ok) throw new Error('block refused');
});
rows.push({
  measure: 'checkBlock, full block, cold signature cache',
  'median cpu ms': +coldMs.toFixed(2),
  'per second': '',
});
const warmMs = measure(nothing, () => {
  if (!ledger.checkBlock(block).ok) throw new Error('block refused');
});
rows.push({
  measure: 'checkBlock, full block, signatures cached by the mempool',
  'median cpu ms': +warmMs.toFixed(2),
  'per second': '',
});
const connectMs = measure(
  () => {
    const fresh = freshLedger();
    fresh.checkBlock(block);
    return fresh;
  },
  (fresh) => fresh.reorganize({ disconnect: [], connect: [block] }),
);
rows.push({
  measure: 'reorganize connecting the checked block',
  'median cpu ms': +connectMs.toFixed(2),
  'per second': '',
});
const followMs = measure(
  () => {
    const state = freshPool();
    for (const tx of transfers) state.pool.add(tx, state.ledger);
    state.ledger.checkBlock(block);
    return { ...state, change: state.ledger.reorganize({ disconnect: [], connect: [block] }) };
  },
  ({ pool, ledger, change }) => pool.follow(change, ledger),
);
rows.push({ measure: 'Mempool.follow after that block', 'median cpu ms': +followMs.toFixed(2), 'per second': '' });

// A block on a fork 10 full blocks deep: the route is walked (10 disconnected, 10 connected
// again without their signatures) before the block is checked.
const DEPTH = 10;
const perBlock = template.transactions.length - 1;
const fullBlock = (parentHash: string, height: number, index: number, tag: string): BlockRef => ({
  hash: bytesToHex(new TextEncoder().encode(`${tag}${height}`.padEnd(32, '.'))),
  parentHash,
  height,
  payload: {
    version: PAYLOAD_VERSION,
    height,
    time: 0,
    target: MAX_TARGET,
    // The coinbase claims nothing: paying less than allowed is valid, and keeps the sums simple.
    transactions: [
      { kind: 'coinbase', height, tag: new TextEncoder().encode(tag), outputs: [] },
      ...transfers.slice(index * perBlock, (index + 1) * perBlock),
    ],
  },
});
const deep = freshLedger();
const mainBlocks: BlockRef[] = [];
const forkBlocks: BlockRef[] = [];
for (let i = 0; i < DEPTH; i++) {
  const main = fullBlock(mainBlocks.at(-1)?.hash ?? TIP, HEIGHT + 1 + i, i, 'main');
  if (!deep.checkBlock(main).ok) throw new Error('main block refused');
  deep.reorganize({ disconnect: [], connect: [main] });
  mainBlocks.push(main);
  // The fork holds the same transfers in blocks of its own.
  forkBlocks.push(fullBlock(forkBlocks.at(-1)?.hash ?? TIP, HEIGHT + 1 + i, i, 'fork'));
}
const forkTip = fullBlock(forkBlocks.at(-1)!.hash, HEIGHT + 1 + DEPTH, DEPTH, 'fork');
const forkRoute = { disconnect: [...mainBlocks].reverse(), connect: forkBlocks };
const deepMs = measure(nothing, () => {
  if (!deep.checkBlock(forkTip, forkRoute).ok) throw new Error('fork block refused');
});
rows.push({
  measure: `checkBlock on a fork ${DEPTH} full blocks deep (route walked, signatures cached)`,
  'median cpu ms': +deepMs.toFixed(2),
  'per second': '',
});

// The snapshot codec over 100,000 coins.
const many: [string, Coin][] = Array.from({ length: 100_000 }, (_, i) => {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(28, i);
  return [
    `${bytesToHex(id)}:${i % 3}`,
    { amount: 1_000n + BigInt(i), keyHash: payTo, height: 1 + (i % HEIGHT), coinbase: i % 7 === 0 },
  ];
});
const big = Ledger.fromState(PARAMS, GENESIS, { tip: TIP, height: HEIGHT, coins: many, undo: [] });
const snapshot = encodeSnapshot(big);
const encodeMs = measure(nothing, () => encodeSnapshot(big));
const decodeMs = measure(nothing, () => {
  if (!decodeSnapshot(snapshot, PARAMS, GENESIS).ok) throw new Error('snapshot refused');
});
rows.push({
  measure: `encodeSnapshot, 100,000 coins (${snapshot.length} bytes)`,
  'median cpu ms': +encodeMs.toFixed(1),
  'per second': '',
});
rows.push({ measure: 'decodeSnapshot, 100,000 coins', 'median cpu ms': +decodeMs.toFixed(1), 'per second': '' });

console.log(
  `ledger and mempool, one thread, median CPU time of ${SAMPLES} runs (${TRANSFERS} transfers, ${SIGNERS} signers)`,
);
console.log(
  `wall time / CPU time, median over the measures: ${median(wallRatios).toFixed(2)} (1.0 on an idle machine)`,
);
console.table(rows);
