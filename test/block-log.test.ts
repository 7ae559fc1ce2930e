import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from './helpers/temp-dirs.js';
import { Block } from '../src/primitives/block.js';
import { MAX_DATA_BYTES, MAX_TARGET } from '../src/primitives/limits.js';
import { restoreTree } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { BlockLog, BlockLogError, describeStoreError } from '../src/store/block-log.js';
import { fsError } from '../src/store/errors.js';
import { MAX_PAYLOAD_BYTES } from '../src/store/log-format.js';

const SEED = { network: 'seed', target: MAX_TARGET } as const;
const HEADER = `powchain-blocks v1 target=${MAX_TARGET.toString(16)}\n`;

const tempDir = useTempDirs('powchain-log-');
const logs: BlockLog[] = [];
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
});

function open(dir: string) {
  const opened = BlockLog.open(dir);
  logs.push(opened.log);
  return opened;
}

function chain(length: number): Block[] {
  const blocks = [new Block('Genesis', undefined, 1n)];
  for (let i = 1; i < length; i++)
    blocks.push(new Block(new Uint8Array(i * 7).fill(i), blocks[i - 1], BigInt(i) << 40n));
  return blocks;
}

const hashes = (blocks: readonly Block[]): string[] => blocks.map((block) => block.hashHex());

/** A directory whose log holds `blocks` (seed network, every target met), closed again. */
function logWith(blocks: readonly Block[]): { dir: string; path: string } {
  const dir = tempDir();
  const { log } = BlockLog.open(dir);
  log.start(SEED);
  log.appendBatch(blocks);
  log.close();
  return { dir, path: join(dir, 'blocks.log') };
}

/** A record by hand: length, CRC and payload as given (for records the log itself would never write). */
function record(payload: Uint8Array, checksum = crc32(payload)): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(payload.length, 0);
  head.writeUInt32BE(checksum, 4);
  return Buffer.concat([head, payload]);
}

describe('block log: writing and reading back', () => {
  it('opens a new directory with no network and no blocks, and writes nothing until start()', () => {
    const dir = join(tempDir(), 'nested', 'data');
    const opened = open(dir);
    expect(opened).toMatchObject({ network: undefined, blocks: [], tornBytes: 0 });
    expect(readFileSync(join(dir, 'blocks.log'))).toHaveLength(0);
    expect(() => opened.log.append(chain(1)[0]!)).toThrow('start(network) must come before the first append');
  });

  it('gives back every appended block and its network after a reopen, and the chain restores', () => {
    const blocks = chain(20);
    const dir = tempDir();
    const { log } = open(dir);
    log.start(SEED);
    for (const block of blocks.slice(0, 10)) log.append(block);
    log.appendBatch(blocks.slice(10));
    log.close();
    const reopened = open(dir);
    expect(reopened.network).toEqual(SEED);
    expect(reopened.tornBytes).toBe(0);
    expect(hashes(reopened.blocks)).toEqual(hashes(blocks));
    expect(reopened.blocks).toEqual(blocks);
    expect(restoreTree(reopened.blocks, seedRules({ target: MAX_TARGET })).tree!.head.height).toBe(19);
  });

  it('writes the seed header as v1 did, and reads a log written by v1', () => {
    const blocks = chain(3);
    const { path } = logWith(blocks);
    expect(readFileSync(path).subarray(0, HEADER.length).toString('latin1')).toBe(HEADER);
    // The old code wrote exactly this: header, then length | CRC | previous_hash | nonce | data.
    const dir = tempDir();
    const v1 = Buffer.concat([
      Buffer.from('powchain-blocks v1 target=80000000000000000000000000000000000000000000000000000000000\n'),
      ...blocks.map((block) => record(Buffer.concat([block.previousHash, block.proofOfWork, block.data]))),
    ]);
    writeFileSync(join(dir, 'blocks.log'), v1);
    const opened = open(dir);
    expect(opened.network).toEqual({ network: 'seed', target: 1n << 235n });
    expect(hashes(opened.blocks)).toEqual(hashes(blocks));
  });

  it('keeps a powchain network in its header', () => {
    const dir = tempDir();
    const { log } = open(dir);
    log.start({ network: 'powchain' });
    log.append(chain(1)[0]!);
    log.close();
    expect(readFileSync(join(dir, 'blocks.log'), 'latin1').startsWith('powchain-blocks v1 network=powchain\n')).toBe(
      true,
    );
    expect(open(dir)).toMatchObject({ network: { network: 'powchain' }, tornBytes: 0 });
  });

  it('start() with the same network does nothing, with another one refuses', () => {
    const { dir } = logWith(chain(2));
    const { log } = open(dir);
    log.start(SEED);
    expect(log.size).toBe(readFileSync(join(dir, 'blocks.log')).length);
    expect(() => log.start({ network: 'powchain' })).toThrow(
      `${join(dir, 'blocks.log')} belongs to network seed (target 0x${MAX_TARGET.toString(16)}), not powchain; use another --data-dir`,
    );
    expect(() => log.start({ network: 'seed', target: 1n << 235n })).toThrow(BlockLogError);
  });

  it('appends after a reopen right after the last record', () => {
    const blocks = chain(6);
    const { dir } = logWith(blocks.slice(0, 3));
    const { log } = open(dir);
    log.appendBatch(blocks.slice(3));
    log.close();
    expect(hashes(open(dir).blocks)).toEqual(hashes(blocks));
  });

  it('takes blocks at the data limit, and an empty batch writes nothing', () => {
    const genesis = new Block(new Uint8Array(MAX_DATA_BYTES).fill(7), undefined, 3n);
    const child = new Block(new Uint8Array(0), genesis, 4n);
    const { dir, path } = logWith([genesis, child]);
    const { log, blocks } = open(dir);
    expect(blocks).toEqual([genesis, child]);
    const size = log.size;
    log.appendBatch([]);
    expect(readFileSync(path)).toHaveLength(size);
  });
});

describe('block log: a torn tail is cut off and reported', () => {
  it('cut anywhere inside the last record: the records before it are kept, the cut bytes reported', () => {
    const blocks = chain(4);
    const { path } = logWith(blocks);
    const whole = readFileSync(path);
    const lastStart = whole.length - (8 + 40 + blocks[3]!.data.length);
    fc.assert(
      fc.property(fc.integer({ min: lastStart + 1, max: whole.length - 1 }), (cut) => {
        const dir = tempDir();
        writeFileSync(join(dir, 'blocks.log'), whole.subarray(0, cut));
        const { log, blocks: read, tornBytes } = BlockLog.open(dir);
        log.close();
        expect(hashes(read)).toEqual(hashes(blocks.slice(0, 3)));
        expect(tornBytes).toBe(cut - lastStart);
        expect(readFileSync(join(dir, 'blocks.log'))).toEqual(whole.subarray(0, lastStart));
      }),
      { numRuns: 40 },
    );
  });

  it('a tail of zero bytes (a crash that grew the file but wrote nothing) is torn too', () => {
    const blocks = chain(3);
    const { dir, path } = logWith(blocks);
    const whole = readFileSync(path);
    writeFileSync(path, Buffer.concat([whole, Buffer.alloc(300)]));
    const opened = open(dir);
    expect(opened.tornBytes).toBe(300);
    expect(opened.blocks).toHaveLength(3);
  });

  it('a header cut short by a crash leaves an empty log with no network', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'blocks.log'), HEADER.slice(0, 30));
    const opened = open(dir);
    expect(opened).toMatchObject({ network: undefined, blocks: [], tornBytes: 30 });
    opened.log.start(SEED);
    expect(readFileSync(join(dir, 'blocks.log'), 'latin1')).toBe(HEADER);
  });
});

describe('block log: corruption is refused, never cut', () => {
  const blocks = chain(5);

  function expectRefusedUnchanged(path: string, dir: string, message: RegExp | string): void {
    const before = readFileSync(path);
    expect(() => BlockLog.open(dir)).toThrow(message);
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
  }

  it('one flipped byte in the first record: refused with the file, byte offset and reason', () => {
    const { dir, path } = logWith(blocks);
    const bytes = readFileSync(path);
    bytes[HEADER.length + 20]! ^= 0x01;
    writeFileSync(path, bytes);
    expectRefusedUnchanged(
      path,
      dir,
      new RegExp(
        `^${path} is damaged at byte ${HEADER.length} \\(record 1: the CRC-32 of its 47-byte payload is 0x[0-9a-f]{8}, ` +
          `the record says 0x[0-9a-f]{8}\\); nothing was removed: see \`powchain data check ${dir}\`, and ` +
          `\`powchain data repair ${dir}\` keeps the 0 blocks before it and sets the rest aside$`,
      ),
    );
  });

  it('a flipped byte at every position after the header, the last record included, is refused and changes nothing', () => {
    const { path } = logWith(blocks);
    const whole = readFileSync(path);
    const dir = tempDir();
    for (let position = HEADER.length; position < whole.length; position++) {
      const bytes = Buffer.from(whole);
      bytes[position]! ^= 1 << (position % 8);
      writeFileSync(join(dir, 'blocks.log'), bytes);
      expectRefusedUnchanged(join(dir, 'blocks.log'), dir, /is damaged at byte \d+ \(record [1-5]: /);
    }
  });

  it('any other flip of one byte after the header is refused too', () => {
    const { path } = logWith(blocks);
    const whole = readFileSync(path);
    fc.assert(
      fc.property(
        fc.integer({ min: HEADER.length, max: whole.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (position, flip) => {
          const dir = tempDir();
          const bytes = Buffer.from(whole);
          bytes[position]! ^= flip;
          writeFileSync(join(dir, 'blocks.log'), bytes);
          expectRefusedUnchanged(join(dir, 'blocks.log'), dir, /is damaged at byte \d+ \(record [1-5]: /);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a record whose length is over the limit is corruption even with a valid CRC (50,000 data bytes)', () => {
    const { dir, path } = logWith(blocks.slice(0, 2));
    const payload = Buffer.concat([blocks[1]!.hash(), Buffer.alloc(8), Buffer.alloc(50_000, 1)]);
    writeFileSync(path, Buffer.concat([readFileSync(path), record(payload)]));
    expectRefusedUnchanged(
      path,
      dir,
      `(record 3: its length field says 50040 bytes, over the limit ${MAX_PAYLOAD_BYTES})`,
    );
  });

  it('a payload exactly at the limit is a record; one byte shorter than the minimum is corruption', () => {
    const { dir, path } = logWith(blocks.slice(0, 2));
    const atLimit = Buffer.concat([blocks[1]!.hash(), Buffer.alloc(8), Buffer.alloc(MAX_DATA_BYTES, 2)]);
    writeFileSync(path, Buffer.concat([readFileSync(path), record(atLimit)]));
    const opened = BlockLog.open(dir);
    opened.log.close();
    expect(opened.blocks).toHaveLength(3);
    expect(opened.blocks[2]!.data).toHaveLength(MAX_DATA_BYTES);
    writeFileSync(path, Buffer.concat([readFileSync(path), record(Buffer.alloc(39, 1))]));
    expectRefusedUnchanged(path, dir, '(record 4: its length field says 39 bytes, under the minimum 40)');
  });

  it('a damaged length field that points past the end is corruption, not a torn tail', () => {
    const { dir, path } = logWith(blocks);
    const bytes = readFileSync(path);
    // The last record's length, made 200 bytes longer: every byte of it is still there.
    const lastStart = bytes.length - (8 + 40 + blocks[4]!.data.length);
    bytes.writeUInt32BE(bytes.readUInt32BE(lastStart) + 200, lastStart);
    writeFileSync(path, bytes);
    expectRefusedUnchanged(path, dir, 'bytes that follow match its checksum');
    // The one before it, pointing past the end: the last record is still whole after it.
    const again = readFileSync(path);
    again.writeUInt32BE(again.readUInt32BE(lastStart) - 200, lastStart);
    const previousStart = lastStart - (8 + 40 + blocks[3]!.data.length);
    again.writeUInt32BE(again.readUInt32BE(previousStart) + 100, previousStart);
    writeFileSync(path, again);
    expectRefusedUnchanged(path, dir, `a whole record starts at byte ${lastStart}`);
  });

  it('a file that is not a block log is refused as such', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'blocks.log'), 'hello, this is not a block log\nat all\n');
    expect(() => BlockLog.open(dir)).toThrow(
      `${join(dir, 'blocks.log')} is not a powchain block log: it does not start with "powchain-blocks v1"`,
    );
    writeFileSync(join(dir, 'blocks.log'), 'powchain-blocks v2 network=powchain\n');
    expect(() => BlockLog.open(dir)).toThrow('its header "powchain-blocks v2 network=powchain" is not version v1');
    writeFileSync(join(dir, 'blocks.log'), 'powchain-blocks v1 network=elsewhere\n');
    expect(() => BlockLog.open(dir)).toThrow('names no network known here');
    writeFileSync(join(dir, 'blocks.log'), 'powchain-blocks v1 target=0\n');
    expect(() => BlockLog.open(dir)).toThrow('names no network known here');
  });
});

describe('block log: compaction', () => {
  it('rewrites the log to exactly the given blocks, and appends go on after it', () => {
    const main = chain(6);
    const fork = new Block('fork', main[2], 99n);
    const { dir } = logWith([...main.slice(0, 4), fork, ...main.slice(4)]);
    const { log, blocks } = open(dir);
    expect(blocks).toHaveLength(7);
    log.compact(main.slice(0, 5));
    log.append(main[5]!);
    log.close();
    const reopened = open(dir);
    expect(hashes(reopened.blocks)).toEqual(hashes(main));
    expect(reopened.network).toEqual(SEED);
    expect(readdirSync(dir).sort()).toEqual(['LOCK', 'blocks.log']);
  });

  it('refuses a list with a block before its parent, before writing anything', () => {
    const main = chain(3);
    const { dir, path } = logWith(main);
    const before = readFileSync(path);
    const { log } = open(dir);
    expect(() => log.compact([main[0]!, main[2]!, main[1]!])).toThrow(
      `compact: block 1 (${main[2]!.hashHex()}) comes before its parent`,
    );
    expect(readFileSync(path)).toEqual(before);
  });

  it('a leftover of a compaction that a crash interrupted is removed at open; the log is the old one', () => {
    const main = chain(3);
    const { dir } = logWith(main);
    writeFileSync(join(dir, 'blocks.log.compacting'), 'half a new log');
    expect(hashes(open(dir).blocks)).toEqual(hashes(main));
    expect(existsSync(join(dir, 'blocks.log.compacting'))).toBe(false);
  });
});

describe('block log: the LOCK', () => {
  it('refuses a directory whose LOCK names another live process, naming it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    expect(() => BlockLog.open(dir)).toThrow(
      `${join(dir, 'LOCK')} is held by process ${process.ppid}: another node is using this --data-dir`,
    );
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(String(process.ppid));
  });

  it.each([
    ['a process that is gone', '999999999'],
    ['this pid, left by an earlier life of it', String(process.pid)],
    ['garbage', 'not a pid\u0000\u00ff'],
    ['nothing (a crash while the LOCK was written)', ''],
    ['a number too large to be a pid', '99999999999'],
  ])('takes over a LOCK holding %s', (_, content) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'LOCK'), content);
    expect(open(dir).blocks).toEqual([]);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses to open one directory twice in one process, and close() releases the LOCK', () => {
    const dir = tempDir();
    const { log } = BlockLog.open(dir);
    expect(() => BlockLog.open(dir)).toThrow('is held by this process already: the log is open twice');
    log.close();
    log.close();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    expect(() => log.append(chain(1)[0]!)).toThrow(`${join(dir, 'blocks.log')} cannot be written: it is closed`);
    open(dir);
  });
});

describe('block log: every file-system failure is a one-line BlockLogError', () => {
  function refusal(dir: string): string {
    try {
      BlockLog.open(dir).log.close();
    } catch (error) {
      expect(error).toBeInstanceOf(BlockLogError);
      const message = describeStoreError(error)!;
      expect(message).not.toContain('\n');
      return message;
    }
    throw new Error(`${dir} opened`);
  }

  it('names what is wrong with the directory', () => {
    const root = tempDir();
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(refusal('')).toBe('the data directory is an empty string: give the path of a folder');
    expect(refusal(file)).toBe(`cannot use ${file} as the data directory: it is a file, not a folder`);
    expect(refusal(join(file, 'data'))).toBe(
      `cannot use ${join(file, 'data')} as the data directory: ${file} is a file, not a folder`,
    );
    // Under /proc nothing can be created (and mkdirSync's recursive mode would spin forever).
    expect(refusal('/proc/powchain-test/data')).toBe(
      'cannot create the data directory /proc/powchain-test/data: no such file or directory (ENOENT)',
    );
    mkdirSync(join(root, 'd', 'blocks.log'), { recursive: true });
    expect(refusal(join(root, 'd'))).toBe(
      `cannot open ${join(root, 'd', 'blocks.log')}: it is a folder, not a file (EISDIR)`,
    );
  });

  it('refuses a log that is not a regular file', () => {
    const dir = tempDir();
    symlinkSync('/dev/full', join(dir, 'blocks.log'));
    expect(refusal(dir)).toBe(`${join(dir, 'blocks.log')} is not a regular file`);
  });

  it('says a full disk, and any other failure of a system call, in one line', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
    });
    expect(describeStoreError(fsError('cannot append to /d/blocks.log', full))).toBe(
      'cannot append to /d/blocks.log: no space left on device (ENOSPC)',
    );
    const odd = Object.assign(new Error('EXDEV: cross-device link not permitted, rename'), {
      code: 'EXDEV',
      syscall: 'rename',
    });
    expect(describeStoreError(odd)).toBe('EXDEV: cross-device link not permitted, rename');
    expect(describeStoreError(new BlockLogError('a\nb'))).toBe('a b');
    expect(describeStoreError(new TypeError('a bug'))).toBeUndefined();
  });

  it('an append that does not fit throws, leaves no partial record, and fails every later append', () => {
    const dir = tempDir();
    const child = spawnSync(
      'sh',
      ['-c', 'ulimit -f 64 && exec "$0" --import tsx test/helpers/log-child.ts fill "$1"', process.execPath, dir],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.stderr).toBe('');
    const result = JSON.parse(child.stdout) as {
      appended: number;
      firstError: string;
      secondError: string;
      sizeAfterError: number;
    };
    const path = join(dir, 'blocks.log');
    expect(result.firstError).toBe(`cannot append to ${path}: file too large (EFBIG); nothing more is written to it`);
    expect(result.secondError).toBe(`${path} cannot be written: an earlier write failed: file too large (EFBIG)`);
    const reopened = open(dir);
    expect(reopened.tornBytes).toBe(0);
    expect(reopened.blocks).toHaveLength(result.appended);
    expect(readFileSync(path)).toHaveLength(result.sizeAfterError);
  });
});
