/**
 * What a restart from --data-dir costs: makes a log of N blocks (default 100,000; data of
 * 8..40 bytes; target 2^256-1 so no mining is needed), then in a fresh child process per run
 * times BlockLog.open (the log read and the Block objects), hashing every block (hash and
 * hex), and restoreTree, and measures the memory held after each step (after a full GC).
 * Each --dist is a built tree (dist/ of a checkout of the same store API, `npm run
 * build:ts`); with two, runs alternate A B A B ... Prints medians.
 *
 *   npx tsx bench/restart.ts [--blocks 100000] [--runs 5] [--network seed|powchain [--snapshot]] [--dist dist ...]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockLog } from '../src/store/block-log.js';
import { BlockTree } from '../src/consensus/block-tree.js';
import { powchainRules } from '../src/consensus/rules/powchain.js';
import { DEFAULT_PARAMS, encodeParams } from '../src/primitives/params.js';
import { encodeSnapshot } from '../src/consensus/ledger/index.js';
import { writeSnapshotFile } from '../src/store/snapshot-file.js';

interface Sample {
  openMs: number;
  hashMs: number;
  restoreMs: number;
  /** Replaying the chain state (ledger) along the main chain: powchain only. */
  stateMs: number;
  totalMs: number;
  /** Bytes per block held after open + hashing: the log's part. */
  logBytes: number;
  /** Bytes per block held after restoreTree too: the whole restart. */
  totalBytes: number;
  /** RSS growth per block over the same span. */
  rssBytes: number;
  maxRssMiB: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    blocks: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '5' },
    dist: { type: 'string', multiple: true },
    child: { type: 'boolean', default: false },
    network: { type: 'string', default: 'seed' },
    snapshot: { type: 'boolean', default: false },
  },
});

if (values.child) {
  const [dist, dir] = positionals as [string, string];
  process.stdout.write(JSON.stringify(await measure(dist, dir)) + '\n');
} else {
  await parent();
}

async function measure(dist: string, dir: string): Promise<Sample> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const { BlockLog: Log } = (await import(pathToFileURL(join(dist, 'store/block-log.js')).href)) as {
    BlockLog: typeof BlockLog;
  };
  const { restoreChain } = (await import(
    pathToFileURL(join(dist, 'store/restore.js')).href
  )) as typeof import('../src/store/restore.js');
  const held = (): number => {
    gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.external;
  };
  const base = held();
  const baseRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const opened = Log.open(dir);
  const t1 = performance.now();
  for (const block of opened.blocks) block.hashHex();
  const t2 = performance.now();
  const afterLog = held();
  const restored = restoreChain(opened.network!, opened.blocks, { seed: { tieBreak: 'first-seen' } }, 'off');
  const t3 = performance.now();
  // A powchain node then brings its ledger to the head: from the snapshot its directory holds
  // (--snapshot), or replayed along the whole main chain (the worst case).
  const tree = restored.tree!;
  if (tree.rules.chainState) {
    const { readSnapshotFile } = (await import(
      pathToFileURL(join(dist, 'store/snapshot-file.js')).href
    )) as typeof import('../src/store/snapshot-file.js');
    const { ledgerFromSnapshot } = (await import(
      pathToFileURL(join(dist, 'consensus/chain-state.js')).href
    )) as typeof import('../src/consensus/chain-state.js');
    const snapshot = readSnapshotFile(dir);
    const fromSnapshot = snapshot ? ledgerFromSnapshot(tree, snapshot) : undefined;
    tree.rules.chainState(tree, fromSnapshot?.ok ? { ledger: fromSnapshot.ledger } : {}).followHead();
  }
  const t4 = performance.now();
  const afterTree = held();
  const n = opened.blocks.length;
  if (restored.restored !== n) throw new Error(`restored ${restored.restored} of ${n} blocks`);
  const sample: Sample = {
    openMs: t1 - t0,
    hashMs: t2 - t1,
    restoreMs: t3 - t2,
    stateMs: t4 - t3,
    totalMs: t4 - t0,
    logBytes: (afterLog - base) / n,
    totalBytes: (afterTree - base) / n,
    rssBytes: (process.memoryUsage().rss - baseRss) / n,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  opened.log.close();
  return sample;
}

async function parent(): Promise<void> {
  const count = Number(values.blocks);
  const runs = Number(values.runs);
  const dists = (values.dist ?? [fileURLToPath(new URL('../dist', import.meta.url))]).map((dist) => resolve(dist));
  const dir = mkdtempSync(join(tmpdir(), 'powchain-bench-restart-'));
  try {
    if (values.network === 'powchain') makePowchainLog(dir, count, values.snapshot!);
    else makeLog(dir, count);
    const samples: Sample[][] = dists.map(() => []);
    for (let r = 0; r < runs; r++) {
      for (const [i, dist] of dists.entries()) samples[i]!.push(runChild(dist, dir));
    }
    console.log(
      `restart from a ${count}-block ${values.network} log${values.snapshot ? ' and a chain-state snapshot' : ''}, ${runs} runs each, medians (min..max)`,
    );
    for (const [i, dist] of dists.entries()) {
      const of = (key: keyof Sample, digits = 0): string => {
        const sorted = samples[i]!.map((s) => s[key]).sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)]!;
        return `${median.toFixed(digits)} (${sorted[0]!.toFixed(digits)}..${sorted.at(-1)!.toFixed(digits)})`;
      };
      console.log(dist);
      console.log(`  open (read + Block objects) ms  ${of('openMs')}`);
      console.log(`  hash + hex of every block ms    ${of('hashMs')}`);
      console.log(`  restoreTree ms                  ${of('restoreMs')}`);
      console.log(`  chain state replay ms           ${of('stateMs')}`);
      console.log(`  all of it ms                    ${of('totalMs')}`);
      console.log(`  held per block after open+hash  ${of('logBytes')} B (heap + external)`);
      console.log(`  held per block with the tree    ${of('totalBytes')} B (heap + external)`);
      console.log(`  RSS growth per block            ${of('rssBytes')} B`);
      console.log(`  peak RSS of the process         ${of('maxRssMiB')} MiB`);
    }
    if (dists.length === 2) {
      // Runs alternate, so each pair ran under about the same load: the ratio is the figure to trust.
      const ratios = samples[0]!.map((sample, r) => sample.totalMs / samples[1]![r]!.totalMs).sort((a, b) => a - b);
      console.log(`time ratio first/second, run by run: median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeLog(dir: string, count: number): void {
  const { log } = BlockLog.open(dir);
  log.start({ network: 'seed', target: MAX_TARGET });
  let parent = new Block('bench genesis');
  let batch: Block[] = [parent];
  for (let i = 1; i < count; i++) {
    parent = new Block(`block ${i} `.padEnd(8 + (i % 33), '.'), parent, BigInt(i));
    batch.push(parent);
    if (batch.length === 10_000) {
      log.appendBatch(batch);
      batch = [];
    }
  }
  log.appendBatch(batch);
  log.close();
}

/** A powchain chain: blocks from the rules' own templates, a block interval apart, at an easy target. */
function makePowchainLog(dir: string, count: number, snapshot: boolean): void {
  const params = { ...DEFAULT_PARAMS, initialTarget: 1n << 255n, genesisTimeMs: Date.now() - count * 1_000 - 60_000 };
  let genesis = new Block(encodeParams(params));
  for (let nonce = 0n; !genesis.verifyProofOfWork(params.initialTarget); nonce++) genesis = genesis.withNonce(nonce);
  const tree = new BlockTree(genesis, powchainRules(params, genesis.hashHex()));
  const { log } = BlockLog.open(dir);
  log.start({ network: 'powchain' });
  let batch: Block[] = [genesis];
  for (let i = 1; i < count; i++) {
    const parent = tree.head;
    const { data, target } = tree.rules.template(
      parent,
      parent.facts.time! + params.blockIntervalMs,
      `127.0.0.1:5000:${i}`,
    );
    let block = new Block(data, parent.block);
    for (let nonce = 0n; !block.verifyProofOfWork(target); nonce++) block = block.withNonce(nonce);
    tree.append(block, Number.MAX_SAFE_INTEGER);
    batch.push(block);
    if (batch.length === 10_000) {
      log.appendBatch(batch);
      batch = [];
    }
  }
  log.appendBatch(batch);
  log.close();
  if (snapshot) {
    const state = tree.rules.chainState!(tree);
    state.followHead();
    writeSnapshotFile(dir, encodeSnapshot(state.ledger));
  }
}

function runChild(dist: string, dir: string): Sample {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '--child', dist, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Sample;
}
