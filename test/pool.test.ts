import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockHash, hashMeetsTarget } from '../src/hashing/pow-check.js';
import { type MineOutcome, MinerPool, splitRange } from '../src/hashing/pool.js';
import { EngineMismatchError } from '../src/hashing/verify.js';
import { minedVectors } from './helpers/vectors.js';

const TIMEOUT = 15_000;
const UNREACHABLE = 0n;
const prefixOf = (text: string): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from(text), Buffer.alloc(32)]));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  let pool: MinerPool;
  beforeAll(async () => {
    pool = await MinerPool.create({ threads: 1 });
  }, TIMEOUT);
  afterAll(() => pool.close());

  it('finds the nonce the seed found, scanning upward from 1 (mined.jsonl)', { timeout: TIMEOUT }, async () => {
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
  let pool: MinerPool;
  beforeAll(async () => {
    pool = await MinerPool.create({ threads: 2, engine: 'js' });
  }, TIMEOUT);
  afterAll(() => pool.close());

  it('finds a nonce that node:crypto confirms', { timeout: TIMEOUT }, async () => {
    const prefix = prefixOf('127.0.0.1:5000:0');
    const target = 1n << 244n;
    expectValid(prefix, target, await pool.mine({ prefix, target }));
  });

  it(
    'lets a new job preempt an unreachable one within milliseconds, and finds the new one',
    { timeout: TIMEOUT },
    async () => {
      const hopeless = pool.mine({ prefix: prefixOf('hopeless'), target: UNREACHABLE });
      await sleep(300);
      expect(pool.hashrate().hashesPerSecond).toBeGreaterThan(0);
      const began = performance.now();
      const easy = pool.mine({ prefix: prefixOf('easy'), target: 1n << 250n });
      const first = await hopeless;
      expect(first.status).toBe('preempted');
      expect(first.hashes).toBeGreaterThan(0);
      expectValid(prefixOf('easy'), 1n << 250n, await easy);
      // One batch (~10 ms) to notice, plus the search itself (~64 nonces per worker).
      expect(performance.now() - began).toBeLessThan(500);
    },
  );

  it('answers cancel() with preempted, and keeps working afterwards', { timeout: TIMEOUT }, async () => {
    const job = pool.mine({ prefix: prefixOf('cancelled'), target: UNREACHABLE });
    await sleep(50);
    pool.cancel();
    expect((await job).status).toBe('preempted');
    const prefix = prefixOf('after cancel');
    expectValid(prefix, 1n << 248n, await pool.mine({ prefix, target: 1n << 248n }));
  });

  it('reports exhausted when no nonce of the range works, having tried them all', { timeout: TIMEOUT }, async () => {
    const outcome = await pool.mine({ prefix: prefixOf('none'), target: UNREACHABLE, range: [1n, 5_001n] });
    expect(outcome).toEqual({ status: 'exhausted', hashes: 5_000 });
  });
});

describe('miner pool shutdown', () => {
  it('close() resolves a pending job as preempted and joins every worker', { timeout: TIMEOUT }, async () => {
    const pool = await MinerPool.create({ threads: 2, engine: 'js' });
    const ids = pool.threadIds();
    expect(ids.every((id) => id > 0)).toBe(true);
    const job = pool.mine({ prefix: prefixOf('closing'), target: UNREACHABLE });
    await sleep(50);
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
        `await new Promise((r) => setTimeout(r, 100));`,
        `await pool.close();`,
        `console.log((await job).status);`,
      ].join('\n');
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      clearTimeout(timer);
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
      const pool = await MinerPool.create({ threads: 2, engine: 'js', faultInjection: 'worker-error' });
      try {
        await expect(pool.mine({ prefix: prefixOf('doomed'), target: UNREACHABLE })).rejects.toThrow(
          /worker 0 crashed: injected worker failure/,
        );
        await expect(pool.mine({ prefix: prefixOf('after'), target: UNREACHABLE })).rejects.toThrow(/worker 0/);
      } finally {
        await pool.close();
      }
      expect(pool.threadIds()).toEqual([-1, -1]);
    },
  );
});

describe('miner pool with a lying engine', () => {
  it(
    'emits mismatch, falls back to node-crypto and still answers with a verified nonce',
    { timeout: TIMEOUT },
    async () => {
      const pool = await MinerPool.create({ threads: 2, engine: 'js', faultInjection: 'lying-engine' });
      try {
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
      } finally {
        await pool.close();
      }
    },
  );
});
