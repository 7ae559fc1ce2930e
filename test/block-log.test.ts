import { mkdtempSync, rmSync, statSync, truncateSync, appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { restoreTree } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { BlockLog, BlockLogError } from '../src/store/block-log.js';

const dirs: string[] = [];
const logs: BlockLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'powchain-log-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string, target = MAX_TARGET) {
  const opened = BlockLog.open(dir, target);
  logs.push(opened.log);
  return opened;
}

function chain(length: number): Block[] {
  const blocks = [new Block('Genesis', undefined, 1n)];
  for (let i = 1; i < length; i++)
    blocks.push(new Block(new Uint8Array(i * 7).fill(i), blocks[i - 1], BigInt(i) << 40n));
  return blocks;
}

describe('block log', () => {
  it('gives back every appended block, in order, after a reopen', () => {
    const dir = tempDir();
    const blocks = chain(20);
    const { log } = open(dir);
    for (const block of blocks) log.append(block);
    log.close();
    const reopened = open(dir);
    expect(reopened.droppedBytes).toBe(0);
    expect(reopened.blocks.map((block) => block.hashHex())).toEqual(blocks.map((block) => block.hashHex()));
    expect(restoreTree(reopened.blocks, seedRules({ target: MAX_TARGET })).tree!.head.height).toBe(19);
  });

  it('recovers from a torn last record by dropping just that record', () => {
    const dir = tempDir();
    const blocks = chain(5);
    const { log } = open(dir);
    for (const block of blocks) log.append(block);
    log.close();
    const path = join(dir, 'blocks.log');
    truncateSync(path, statSync(path).size - 3);
    const reopened = open(dir);
    expect(reopened.blocks).toHaveLength(4);
    expect(reopened.droppedBytes).toBeGreaterThan(0);
    // And appending after the recovery lands right after the last whole record.
    reopened.log.append(blocks[4]!);
    reopened.log.close();
    expect(open(dir).blocks.map((block) => block.hashHex())).toEqual(blocks.map((block) => block.hashHex()));
  });

  it('drops a corrupt tail (bad checksum, or garbage) instead of trusting it', () => {
    const dir = tempDir();
    const { log } = open(dir);
    for (const block of chain(3)) log.append(block);
    log.close();
    const path = join(dir, 'blocks.log');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] = bytes.at(-1)! ^ 0xff;
    writeFileSync(path, bytes);
    appendFileSync(path, Buffer.from('garbage that is not a record'));
    expect(open(dir).blocks).toHaveLength(2);
  });

  it('refuses a log of another network (target), and a directory another live node holds', () => {
    const dir = tempDir();
    open(dir).log.close();
    expect(() => open(dir, 1n << 200n)).toThrow(BlockLogError);
    expect(() => open(dir, 1n << 200n)).toThrow(/another target/);
    const held = tempDir();
    writeFileSync(join(held, 'LOCK'), String(process.ppid));
    expect(() => open(held)).toThrow(/another node is using this --data-dir/);
  });

  it('takes over the lock of a process that is gone', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), '999999999');
    expect(open(dir).blocks).toEqual([]);
  });
});
