import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockLog } from '../src/store/block-log.js';
import { forkedChain } from './helpers/forked-chain.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Runs log-child.ts compact: `ready` once it has opened the log, `exited` with its stderr. */
function startCompacting(dir: string): {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<string>;
  rounds: () => number;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/log-child.ts', 'compact', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  let output = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.startsWith('ready\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`the child ended before it was ready: ${stderr}`)));
  });
  const exited = new Promise<string>((resolve) => child.on('close', () => resolve(stderr)));
  return { child, ready, exited, rounds: () => output.split('compacted\n').length - 1 };
}

describe('compaction under SIGKILL', () => {
  it('leaves the old log or the new one, complete, wherever the process dies', async () => {
    const root = mkdtempSync(join(tmpdir(), 'powchain-compact-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const dir = join(root, 'data');
    mkdirSync(dir);
    const { all, main } = forkedChain();
    const { log } = BlockLog.open(dir);
    log.start({ network: 'seed', target: MAX_TARGET });
    log.appendBatch(all);
    log.close();
    const lists = { all: all.map((b) => b.hashHex()), main: main.map((b) => b.hashHex()) };

    const started = Date.now();
    for (let kill = 0; kill < 40 && (kill < 6 || Date.now() - started < 4_000); kill++) {
      const compacting = startCompacting(dir);
      await compacting.ready;
      if (kill === 0) {
        // Once after whole compactions: a rename has certainly happened in this test.
        await expect.poll(compacting.rounds, { timeout: 20_000, interval: 5 }).toBeGreaterThanOrEqual(2);
      } else {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 250));
      }
      compacting.child.kill('SIGKILL');
      // Nothing on stderr: the child was killed while compacting, it did not fail on its own.
      expect(await compacting.exited).toBe('');

      const opened = BlockLog.open(dir);
      opened.log.close();
      expect(opened.tornBytes).toBe(0);
      const hashes = opened.blocks.map((block) => block.hashHex());
      expect(hashes).toEqual(hashes.length === lists.all.length ? lists.all : lists.main);
      expect(existsSync(join(dir, 'blocks.log.compacting'))).toBe(false);
    }
  }, 120_000);
});
