import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from './helpers/temp-dirs.js';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockLog, BlockLogError } from '../src/store/block-log.js';
import { checkDataDir, repairDataDir } from '../src/store/data-check.js';
import { type LogNetwork, MAX_PAYLOAD_BYTES, encodeRecords, headerFor } from '../src/store/log-format.js';
import { powchainChain } from './helpers/powchain-chain.js';

const tempDir = useTempDirs('powchain-check-');

const SEED: LogNetwork = { network: 'seed', target: MAX_TARGET };
/** Half of all hashes meet it: blocks that fail it are easy to make. */
const HALF = 1n << 255n;

function chain(length: number, target = MAX_TARGET): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < length; i++) blocks.push(mined(`block ${i}`, blocks[i - 1], target));
  return blocks;
}

/** A block on `parent` whose hash meets `target` (or, with `meets` false, does not). */
function mined(data: string, parent: Block | undefined, target: bigint, meets = true): Block {
  for (let nonce = 0n; ; nonce++) {
    const block = new Block(data, parent, nonce);
    if (block.verifyProofOfWork(target) === meets) return block;
  }
}

function logWith(blocks: readonly Block[], network: LogNetwork = SEED): { dir: string; path: string; bytes: Buffer } {
  const dir = tempDir();
  const { log } = BlockLog.open(dir);
  log.start(network);
  log.appendBatch(blocks);
  log.close();
  const path = join(dir, 'blocks.log');
  return { dir, path, bytes: readFileSync(path) };
}

/** Byte offsets of each record in a log. */
function recordOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = bytes.indexOf(0x0a) + 1; at < bytes.length; at += 8 + bytes.readUInt32BE(at)) offsets.push(at);
  return offsets;
}

/** A data directory whose blocks.log holds exactly `bytes`. */
function dirWith(bytes: Uint8Array): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'blocks.log'), bytes);
  return dir;
}

/** A record whose length field says `length` and whose checksum is junk, followed by `filler` bytes. */
function badRecord(length: number, filler: number): Buffer {
  const bad = Buffer.alloc(8 + filler, 0x5a);
  bad.writeUInt32BE(length, 0);
  return bad;
}

describe('powchain data check (in process)', () => {
  it('reports a whole log: network, records, chain height, head and root, nothing to cut', () => {
    const blocks = chain(6);
    const { dir, path, bytes } = logWith(blocks);
    expect(checkDataDir(dir)).toEqual({
      dir,
      log: path,
      bytes: bytes.length,
      network: SEED,
      records: 6,
      tornBytes: 0,
      damage: undefined,
      chain: { blocks: 6, height: 5, head: blocks[5]!.hashHex(), root: blocks[0]!.hashHex() },
      keep: { records: 6, bytes: bytes.length },
      whole: true,
      lockedBy: undefined,
    });
  });

  it('reports the first damaged record, where it is, why, and how many whole records follow it', () => {
    const blocks = chain(6);
    const { dir, bytes, path } = logWith(blocks);
    const third = recordOffsets(bytes)[2]!;
    bytes[third + 30]! ^= 0x40;
    writeFileSync(path, bytes);
    const check = checkDataDir(dir);
    expect(check.damage).toEqual({
      offset: third,
      record: 3,
      reason: 'checksum-mismatch',
      detail: expect.stringMatching(
        /^the CRC-32 of its 47-byte payload is 0x[0-9a-f]{8}, the record says 0x[0-9a-f]{8}$/,
      ),
      wholeRecordsAfter: 3,
    });
    expect(check).toMatchObject({ records: 2, whole: false, keep: { records: 2, bytes: third } });
    expect(check.chain).toMatchObject({ blocks: 2, height: 1, head: blocks[1]!.hashHex() });
    // Checking changes nothing.
    expect(readFileSync(path)).toEqual(bytes);
  });

  it('a damaged length field cannot be skipped: no whole records are counted after it', () => {
    const { dir, bytes, path } = logWith(chain(4));
    const second = recordOffsets(bytes)[1]!;
    bytes.writeUInt32BE(0xffff_ffff, second);
    writeFileSync(path, bytes);
    expect(checkDataDir(dir).damage).toMatchObject({ record: 2, reason: 'length-above-limit', wholeRecordsAfter: 0 });
  });

  it('counts the whole records after a damaged one only when its length field is in range and lands inside the file', () => {
    const header = Buffer.from(headerFor(SEED), 'latin1');
    const [first, second, third] = chain(3);
    const before = encodeRecords([first!]);
    const after = encodeRecords([second!, third!]);
    const at = header.length + before.length;
    const damageOf = (bad: Buffer) => checkDataDir(dirWith(Buffer.concat([header, before, bad, after]))).damage;
    // Under the minimum: not skipped, even where whole records start right after its record header.
    expect(damageOf(badRecord(0, 0))).toMatchObject({
      offset: at,
      reason: 'length-below-minimum',
      wholeRecordsAfter: 0,
    });
    expect(damageOf(badRecord(39, 39))).toMatchObject({ reason: 'length-below-minimum', wholeRecordsAfter: 0 });
    // At the minimum and at the limit: skipped.
    expect(damageOf(badRecord(40, 40))).toMatchObject({ reason: 'checksum-mismatch', wholeRecordsAfter: 2 });
    expect(damageOf(badRecord(MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES))).toMatchObject({
      reason: 'checksum-mismatch',
      wholeRecordsAfter: 2,
    });
    // One past the limit: not skipped, though whole records follow where it would end.
    expect(damageOf(badRecord(MAX_PAYLOAD_BYTES + 1, MAX_PAYLOAD_BYTES + 1))).toMatchObject({
      reason: 'length-above-limit',
      wholeRecordsAfter: 0,
    });
    // A length that points past the end of the file: nothing after it to count.
    expect(damageOf(badRecord(200, 0))).toMatchObject({ reason: 'length-past-end', wholeRecordsAfter: 0 });
  });

  it('re-validates the chain: a whole record the rules refuse ends the valid prefix', () => {
    const genesis = mined('genesis', undefined, HALF);
    const good = mined('good', genesis, HALF);
    const badWork = mined('bad work', good, HALF, false);
    const after = mined('after', badWork, MAX_TARGET);
    const { dir, bytes } = logWith([genesis, good, badWork, after], { network: 'seed', target: HALF });
    const offsets = recordOffsets(bytes);
    const check = checkDataDir(dir);
    expect(check.damage).toBeUndefined();
    expect(check.chain).toEqual({
      blocks: 2,
      height: 1,
      head: good.hashHex(),
      root: genesis.hashHex(),
      refusal: { record: 3, offset: offsets[2], reason: 'bad-pow' },
    });
    expect(check).toMatchObject({ records: 4, whole: false, keep: { records: 2, bytes: offsets[2] } });
  });

  it('refuses a block whose parent is not in the log, and a root that does not meet the target', () => {
    const blocks = chain(3);
    const stranger = new Block('stranger', new Uint8Array(32).fill(9), 1n);
    const { dir, bytes } = logWith([...blocks, stranger]);
    expect(checkDataDir(dir).chain?.refusal).toEqual({
      record: 4,
      offset: recordOffsets(bytes)[3],
      reason: 'unknown-parent',
    });
    const root = mined('root', undefined, HALF, false);
    const rootless = logWith([root], { network: 'seed', target: HALF });
    const header = rootless.bytes.indexOf(0x0a) + 1;
    expect(checkDataDir(rootless.dir)).toMatchObject({
      keep: { records: 0, bytes: header },
      whole: false,
    });
    expect(checkDataDir(rootless.dir).chain).toEqual({
      blocks: 0,
      height: -1,
      head: '',
      root: root.hashHex(),
      refusal: { record: 1, offset: header, reason: 'bad-pow' },
    });
  });

  it('a powchain log: checked under the rules its genesis holds', () => {
    const { dir } = logWith(powchainChain(3), { network: 'powchain' });
    expect(checkDataDir(dir)).toMatchObject({
      network: { network: 'powchain' },
      whole: true,
      chain: { blocks: 3, height: 2 },
    });
    // A log that says powchain but whose genesis is not a parameters record is refused at its root.
    const { dir: other } = logWith(chain(3), { network: 'powchain' });
    expect(checkDataDir(other)).toMatchObject({
      whole: false,
      chain: { blocks: 0, refusal: { record: 1, reason: 'bad-genesis' } },
    });
  });

  it('a torn tail is reported but the log is whole; an empty log is whole with no network', () => {
    const { dir, bytes, path } = logWith(chain(3));
    writeFileSync(path, bytes.subarray(0, bytes.length - 5));
    expect(checkDataDir(dir)).toMatchObject({ records: 2, tornBytes: 8 + 40 + 'block 2'.length - 5, whole: true });
    const empty = tempDir();
    BlockLog.open(empty).log.close();
    expect(checkDataDir(empty)).toMatchObject({ network: undefined, records: 0, chain: undefined, whole: true });
  });

  it('a log with a header and no records is whole, with no chain, and keeps its header', () => {
    const { dir, bytes } = logWith([]);
    expect(checkDataDir(dir)).toMatchObject({
      network: SEED,
      records: 0,
      damage: undefined,
      chain: undefined,
      keep: { records: 0, bytes: bytes.length },
      whole: true,
    });
  });

  it('a header cut short by a crash is a torn tail of an empty log', () => {
    const dir = dirWith(Buffer.from('powchain-blocks v1 tar', 'latin1'));
    expect(checkDataDir(dir)).toMatchObject({
      bytes: 22,
      network: undefined,
      records: 0,
      tornBytes: 22,
      damage: undefined,
      keep: { records: 0, bytes: 0 },
      whole: true,
    });
  });

  it('reports a file that is not a block log as damage to its header', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'blocks.log'), 'a shopping list\n');
    expect(checkDataDir(dir)).toMatchObject({
      damage: { offset: 0, record: 0, reason: 'not-a-block-log' },
      whole: false,
    });
  });

  it('names the live process that holds the LOCK', () => {
    const { dir } = logWith(chain(2));
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    expect(checkDataDir(dir).lockedBy).toBe(process.ppid);
  });

  it('refuses what is not a data directory, in one line', () => {
    const dir = tempDir();
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(() => checkDataDir(dir)).toThrow(`${dir} has no blocks.log: no node has kept blocks there`);
    expect(() => checkDataDir(file)).toThrow(`cannot use ${file} as a data directory: it is a file, not a folder`);
    expect(() => checkDataDir(join(dir, 'nowhere'))).toThrow(
      `cannot use ${join(dir, 'nowhere')} as a data directory: no such file or directory (ENOENT)`,
    );
    expect(() => checkDataDir('')).toThrow('the data directory is an empty string');
    const folderLog = tempDir();
    mkdirSync(join(folderLog, 'blocks.log'));
    expect(() => checkDataDir(folderLog)).toThrow(
      new BlockLogError(`${join(folderLog, 'blocks.log')} is not a regular file`),
    );
  });
});

describe('powchain data repair (in process)', () => {
  it('keeps the valid prefix and moves every other byte, unchanged, to blocks.log.damaged-<time>', () => {
    const blocks = chain(6);
    const { dir, bytes, path } = logWith(blocks);
    const fourth = recordOffsets(bytes)[3]!;
    const damaged = Buffer.from(bytes);
    damaged[fourth + 4]! ^= 0xff;
    writeFileSync(path, damaged);
    const repair = repairDataDir(dir);
    expect(repair).toMatchObject({ action: 'set-aside', movedBytes: bytes.length - fourth });
    expect(repair.movedTo).toMatch(
      new RegExp(`^${dir}/blocks\\.log\\.damaged-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}Z$`),
    );
    expect(readFileSync(path)).toEqual(bytes.subarray(0, fourth));
    expect(readFileSync(repair.movedTo!)).toEqual(damaged.subarray(fourth));
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    const { log, blocks: kept } = BlockLog.open(dir);
    log.close();
    expect(kept.map((block) => block.hashHex())).toEqual(blocks.slice(0, 3).map((block) => block.hashHex()));
    expect(repairDataDir(dir)).toMatchObject({ action: 'none', movedBytes: 0 });
  });

  it('cuts at the first block the chain rules refuse', () => {
    const genesis = mined('genesis', undefined, HALF);
    const badWork = mined('bad work', genesis, HALF, false);
    const { dir, bytes, path } = logWith([genesis, badWork], { network: 'seed', target: HALF });
    const second = recordOffsets(bytes)[1]!;
    const repair = repairDataDir(dir);
    expect(repair).toMatchObject({ action: 'set-aside', movedBytes: bytes.length - second });
    expect(readFileSync(path)).toEqual(bytes.subarray(0, second));
  });

  it('cuts a torn tail off, and says there was nothing else', () => {
    const { dir, bytes, path } = logWith(chain(3));
    const lastStart = recordOffsets(bytes)[2]!;
    writeFileSync(path, bytes.subarray(0, lastStart + 10));
    expect(repairDataDir(dir)).toMatchObject({ action: 'cut-torn-tail', movedBytes: 0, check: { tornBytes: 10 } });
    expect(readFileSync(path)).toEqual(bytes.subarray(0, lastStart));
    expect(readdirSync(dir)).toEqual(['blocks.log']);
  });

  it('refuses while a live node holds the LOCK, and changes nothing', () => {
    const { dir, path, bytes } = logWith(chain(3));
    writeFileSync(path, bytes.subarray(0, bytes.length - 1));
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    expect(() => repairDataDir(dir)).toThrow(`${join(dir, 'LOCK')} is held by process ${process.ppid}`);
    expect(readFileSync(path)).toEqual(bytes.subarray(0, bytes.length - 1));
  });

  it('refuses to cut a file that is not a block log', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'blocks.log'), 'a shopping list\n');
    expect(() => repairDataDir(dir)).toThrow(
      `${join(dir, 'blocks.log')} is not a powchain block log (it does not start with "powchain-blocks v1"); nothing was changed`,
    );
    expect(readFileSync(join(dir, 'blocks.log'), 'utf8')).toBe('a shopping list\n');
  });
});
