import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash, hashMeetsTarget } from '../src/hashing/pow-check.js';
import { type MineOutcome, MinerPool, type PoolOptions, splitRange } from '../src/hashing/pool.js';
import { EngineMismatchError } from '../src/hashing/verify.js';
import { minedVectors } from './helpers/vectors.js';
import { until } from './helpers/wait.js';

const TIMEOUT = 20_000;
/** How long a wait for the pool may take before the test fails naming it (inside TIMEOUT). */
const WAIT_MS = 15_000;
const UNREACHABLE = 0n;
const prefixOf = (text: string): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from(text), Buffer.alloc(32)]));

// Every pool and child process a test makes is closed or killed after it, pass or fail.
const pools: MinerPool[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

async function createPool(options: PoolOptions): Promise<MinerPool> {
  const pool = await MinerPool.create(options);
  pools.push(pool);
  return pool;
}

function expectValid(prefix: Uint8Array, target: bigint, outcome: MineOutcome): bigint {
  expect(outcome.status).toBe('found');
  if (outcome.status !== 'found') throw new Error('unreachable');
  expect(hashMeetsTarget(blockHash(prefix, outcome.nonce), target)).toBe(true);
  return outcome.nonce;
}

describe('splitRange', () => {
  it('cuts [1, 2^64) into disjoint consecutive ranges that cover it', () => {
    for (const parts of [1, 2, 3, 7, 16]) {
      const ranges = splitRange(1n, 1n << 64n, parts);
      expect(ranges[0]![0]).toBe(1n);
      expect(ranges.at(-1)![1]).toBe(1n << 64n);
      for (let i = 1; i < parts; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
    }
  });
});

describe('miner pool with one thread', () => {
  it('finds the nonce the seed found, scanning upward from 1 (mined.jsonl)', { timeout: TIMEOUT }, async () => {
    const pool = await createPool({ threads: 1 });
    for (const vector of minedVectors) {
      const prefix = new Uint8Array(
        Buffer.concat([Buffer.from(vector.data_b64, 'base64'), Buffer.from(vector.previous_hash, 'hex')]),
      );
      const outcome = await pool.mine({ prefix, target: BigInt(vector.target) });
      expect(outcome).toEqual({ status: 'found', nonce: BigInt(vector.nonce), hashes: vector.nonce });
    }
  });
});

describe('miner pool with two threads', () => {
  it('finds a nonce that node:crypto confirms', { timeout: TIMEOUT }, async () => {
    const pool = await createPool({ threads: 2, engine: 'js' });
    const prefix = prefixOf('127.0.0.1:5000:0');
    const target = 1n << 244n;
    expectValid(prefix, target, await pool.mine({ prefix, target }));
  });

  it(
    'on a new job, resolves the old one as preempted and moves every worker to the new one',
    { timeout: TIMEOUT },
    async () => {
      const pool = await createPool({ threads: 2, engine: 'js' });
      const first = pool.mine({ prefix: prefixOf('first'), target: UNREACHABLE });
      const firstGeneration = pool.generation;
      await until(
        () => pool.workerGenerations().every((generation) => generation === firstGeneration),
        WAIT_MS,
        'every worker on the first job',
      );
      await until(() => pool.totalHashes() > 0, WAIT_MS, 'the first hashes');
      const before = process.hrtime.bigint();
      const second = pool.mine({ prefix: prefixOf('second'), target: UNREACHABLE });
      const secondGeneration = pool.generation;
      expect(secondGeneration).toBeGreaterThan(firstGeneration);
      const outcome = await first;
      expect(outcome.status).toBe('preempted');
      expect(outcome.hashes).toBeGreaterThan(0);
      // Both workers stop hashing the first job (after the second was posted) and take the second.
      await until(
        () => pool.workerGenerations().every((generation) => generation === secondGeneration),
        WAIT_MS,
        'every worker on the second job',
      );
      await until(
        () => pool.workerDrops().every((drop) => drop?.generation === firstGeneration),
        WAIT_MS,
        'every worker to drop the first job',
      );
      for (const drop of pool.workerDrops()) expect(drop!.stoppedAtNs).toBeGreaterThanOrEqual(before);
      pool.cancel();
      expect((await second).status).toBe('preempted');
    },
  );

  it('believes no nonce reported for a job it has already replaced', { timeout: TIMEOUT }, async () => {
    // Every worker that drops a job reports a bogus nonce for it, tagged with its generation.
    const pool = await createPool({ threads: 2, engine: 'js', faultInjection: 'stale-found' });
    const mismatches: Error[] = [];
    pool.on('mismatch', (error) => mismatches.push(error));
    const stale = pool.mine({ prefix: prefixOf('stale'), target: UNREACHABLE });
    const staleGeneration = pool.generation;
    await until(
      () => pool.workerGenerations().every((generation) => generation === staleGeneration),
      WAIT_MS,
      'every worker on the stale job',
    );
    const prefix = prefixOf('fresh');
    const fresh = pool.mine({ prefix, target: 1n << 240n });
    expect((await stale).status).toBe('preempted');
    // Each worker was on the stale job, so it dropped it (and reported for it) at least: its
    // last drop may already be of the fresh job, if the other worker found it first.
    await until(
      () => pool.workerDrops().every((drop) => drop !== null && drop.generation >= staleGeneration),
      WAIT_MS,
      'every worker to drop the stale job',
    );
    expectValid(prefix, 1n << 240n, await fresh);
    // The stale reports were dropped by generation: not checked, not a mismatch, no fallback.
    expect(mismatches).toEqual([]);
    expect(pool.engine).toBe('js');
  });

  it('answers cancel() with preempted, and keeps working afterwards', { timeout: TIMEOUT }, async () => {
    const pool = await createPool({ threads: 2, engine: 'js' });
    const job = pool.mine({ prefix: prefixOf('cancelled'), target: UNREACHABLE });
    await until(() => pool.totalHashes() > 0, WAIT_MS, 'the first hashes');
    pool.cancel();
    expect((await job).status).toBe('preempted');
    const prefix = prefixOf('after cancel');
    expectValid(prefix, 1n << 248n, await pool.mine({ prefix, target: 1n << 248n }));
  });

  it('reports exhausted when no nonce of the range works, having tried them all', { timeout: TIMEOUT }, async () => {
    const pool = await createPool({ threads: 2, engine: 'js' });
    const outcome = await pool.mine({ prefix: prefixOf('none'), target: UNREACHABLE, range: [1n, 5_001n] });
    expect(outcome).toEqual({ status: 'exhausted', hashes: 5_000 });
  });
});

describe('miner pool shutdown', () => {
  it('close() resolves a pending job as preempted and joins every worker', { timeout: TIMEOUT }, async () => {
    const pool = await createPool({ threads: 2, engine: 'js' });
    const ids = pool.threadIds();
    expect(ids.every((id) => id > 0)).toBe(true);
    const job = pool.mine({ prefix: prefixOf('closing'), target: UNREACHABLE });
    await until(() => pool.totalHashes() > 0, WAIT_MS, 'the first hashes');
    await pool.close();
    expect((await job).status).toBe('preempted');
    // A worker's threadId becomes -1 once its thread has exited.
    expect(pool.threadIds()).toEqual([-1, -1]);
    await expect(pool.mine({ prefix: prefixOf('late'), target: UNREACHABLE })).rejects.toThrow(/closed/);
  });

  it(
    'leaves nothing behind: a process that creates, uses and closes a pool exits on its own',
    { timeout: TIMEOUT },
    async () => {
      const poolModule = new URL('../src/hashing/pool.ts', import.meta.url).href;
      const script = [
        `const { MinerPool } = await import(${JSON.stringify(poolModule)});`,
        `const pool = await MinerPool.create({ threads: 2, engine: 'js' });`,
        `const job = pool.mine({ prefix: new Uint8Array(48), target: 0n });`,
        `while (pool.totalHashes() === 0) await new Promise((r) => setTimeout(r, 5));`,
        `await pool.close();`,
        `console.log((await job).status);`,
      ].join('\n');
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      // Exiting on its own is the assertion: a leaked worker would keep it alive until the
      // test's timeout, and afterEach kills it.
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(output.trim()).toBe('preempted');
      expect(code).toBe(0);
    },
  );
});

describe('miner pool with a failing worker', () => {
  it(
    'rejects the running job instead of hanging, refuses new jobs, and still closes',
    { timeout: TIMEOUT },
    async () => {
      const pool = await createPool({ threads: 2, engine: 'js', faultInjection: 'worker-error' });
      await expect(pool.mine({ prefix: prefixOf('doomed'), target: UNREACHABLE })).rejects.toThrow(
        /worker 0 crashed: injected worker failure/,
      );
      await expect(pool.mine({ prefix: prefixOf('after'), target: UNREACHABLE })).rejects.toThrow(/worker 0/);
      await pool.close();
      expect(pool.threadIds()).toEqual([-1, -1]);
    },
  );
});

describe('miner pool with a lying engine', () => {
  it(
    'emits mismatch, falls back to node-crypto and still answers with a verified nonce',
    { timeout: TIMEOUT },
    async () => {
      const pool = await createPool({ threads: 2, engine: 'js', faultInjection: 'lying-engine' });
      const mismatches: Error[] = [];
      pool.on('mismatch', (error) => mismatches.push(error));
      const prefix = prefixOf('liar');
      const target = 1n << 246n;
      expectValid(prefix, target, await pool.mine({ prefix, target }));
      expect(pool.engine).toBe('node-crypto');
      expect(mismatches).toHaveLength(1);
      expect(mismatches[0]).toBeInstanceOf(EngineMismatchError);
      expect(mismatches[0]!.message).toMatch(/ENGINE MISMATCH: engine "js" reported nonce \d+/);
      // And it stays on node-crypto for the next job.
      const next = prefixOf('liar 2');
      expectValid(next, target, await pool.mine({ prefix: next, target }));
      expect(mismatches).toHaveLength(1);
    },
  );

  it(
    "rechecks a found nonce on the main thread, even one the worker's own check did not see",
    { timeout: TIMEOUT },
    async () => {
      const pool = await createPool({ threads: 2, engine: 'js', faultInjection: 'unchecked-liar' });
      const mismatches: Error[] = [];
      pool.on('mismatch', (error) => mismatches.push(error));
      const prefix = prefixOf('unchecked liar');
      const target = 1n << 246n;
      expectValid(prefix, target, await pool.mine({ prefix, target }));
      expect(pool.engine).toBe('node-crypto');
      expect(mismatches).toHaveLength(1);
      expect(mismatches[0]!.message).toMatch(
        /ENGINE MISMATCH: engine "js" reported nonce \d+ .*the pool rechecked it on the main thread: its hash [0-9a-f]{64} is above the target/,
      );
    },
  );
});
