/**
 * The on-disk block log of `--data-dir`, owned here. One append-only file, `blocks.log`:
 *
 *   header   "powchain-blocks v1 target=<hex>\n"          (the network's target, fixed)
 *   record   u32 BE length | u32 BE CRC-32 of payload | payload
 *   payload  previous_hash (32 bytes) | nonce (8 bytes, BE) | data
 *
 * Records are in acceptance order, so every parent precedes its children and the first
 * record is the root. append() writes and fdatasyncs before it returns: a block is on disk
 * before the node announces it. open() reads every whole record whose CRC matches and
 * truncates a torn or corrupt tail (a crash mid-write), reporting how much it dropped.
 * A `LOCK` file holding the owner's pid keeps two nodes off one directory.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  readFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Block } from '../primitives/block.js';
import { HASH_BYTES, NONCE_BYTES } from '../primitives/limits.js';
import { bigIntToBytes, bytesToBigInt } from '../primitives/bytes.js';

const RECORD_HEADER_BYTES = 8;
const FIXED_PAYLOAD_BYTES = HASH_BYTES + NONCE_BYTES;
/** No block payload is larger than a datagram; a larger length can only be corruption. */
const MAX_PAYLOAD_BYTES = 65_536 + FIXED_PAYLOAD_BYTES;

export class BlockLogError extends Error {
  override readonly name = 'BlockLogError';
}

export interface OpenedLog {
  log: BlockLog;
  blocks: Block[];
  /** Bytes dropped from a torn or corrupt tail (0 when the file was whole). */
  droppedBytes: number;
}

function headerFor(target: bigint): string {
  return `powchain-blocks v1 target=${target.toString(16)}\n`;
}

export class BlockLog {
  readonly path: string;
  readonly #lockPath: string;
  #fd: number;
  #size: number;

  private constructor(path: string, lockPath: string, fd: number, size: number) {
    this.path = path;
    this.#lockPath = lockPath;
    this.#fd = fd;
    this.#size = size;
  }

  /** Opens (creating if needed) the log in `dir` for a network with `target`. */
  static open(dir: string, target: bigint): OpenedLog {
    mkdirSync(dir, { recursive: true });
    const lockPath = join(dir, 'LOCK');
    takeLock(lockPath);
    const path = join(dir, 'blocks.log');
    let fd: number;
    try {
      fd = openSync(path, 'a+');
    } catch (error) {
      releaseLock(lockPath);
      throw new BlockLogError(`cannot open ${path}: ${(error as Error).message}`);
    }
    try {
      const header = headerFor(target);
      const size = fstatSync(fd).size;
      if (size === 0) {
        writeSync(fd, header);
        fdatasyncSync(fd);
        return { log: new BlockLog(path, lockPath, fd, header.length), blocks: [], droppedBytes: 0 };
      }
      const bytes = Buffer.alloc(size);
      readSync(fd, bytes, 0, size, 0);
      const firstLine = bytes.subarray(0, bytes.indexOf(0x0a) + 1).toString('latin1');
      if (!firstLine.startsWith('powchain-blocks v1 ')) throw new BlockLogError(`${path} is not a powchain block log`);
      if (firstLine !== header) {
        throw new BlockLogError(
          `${path} belongs to a network with another target (${firstLine.trim().split('=')[1]}); use another --data-dir`,
        );
      }
      const { blocks, end } = readRecords(bytes, header.length);
      if (end < size) {
        ftruncateSync(fd, end);
        fdatasyncSync(fd);
      }
      return { log: new BlockLog(path, lockPath, fd, end), blocks, droppedBytes: size - end };
    } catch (error) {
      closeSync(fd);
      releaseLock(lockPath);
      throw error;
    }
  }

  /** Appends one block and forces it to disk. */
  append(block: Block): void {
    const payload = Buffer.concat([block.previousHash, bigIntToBytes(block.nonce, NONCE_BYTES), block.data]);
    const record = Buffer.alloc(RECORD_HEADER_BYTES + payload.length);
    record.writeUInt32BE(payload.length, 0);
    record.writeUInt32BE(crc32(payload), 4);
    payload.copy(record, RECORD_HEADER_BYTES);
    // 'a+' opens in append mode: the position argument is ignored and every write lands at the end.
    writeSync(this.#fd, record);
    fdatasyncSync(this.#fd);
    this.#size += record.length;
  }

  /** Cuts the log back to its first `count` blocks' worth of bytes: used when a reloaded block is refused. */
  truncateAfter(blocks: number): void {
    const bytes = Buffer.alloc(this.#size);
    readSync(this.#fd, bytes, 0, this.#size, 0);
    let offset = bytes.indexOf(0x0a) + 1;
    for (let i = 0; i < blocks; i++) offset += RECORD_HEADER_BYTES + bytes.readUInt32BE(offset);
    ftruncateSync(this.#fd, offset);
    fdatasyncSync(this.#fd);
    this.#size = offset;
  }

  get size(): number {
    return this.#size;
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
    releaseLock(this.#lockPath);
  }
}

function readRecords(bytes: Buffer, start: number): { blocks: Block[]; end: number } {
  const blocks: Block[] = [];
  let offset = start;
  while (offset + RECORD_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    if (length < FIXED_PAYLOAD_BYTES || length > MAX_PAYLOAD_BYTES) break;
    const payloadStart = offset + RECORD_HEADER_BYTES;
    if (payloadStart + length > bytes.length) break;
    const payload = bytes.subarray(payloadStart, payloadStart + length);
    if (crc32(payload) !== bytes.readUInt32BE(offset + 4)) break;
    const previousHash = payload.subarray(0, HASH_BYTES);
    const nonce = bytesToBigInt(payload.subarray(HASH_BYTES, FIXED_PAYLOAD_BYTES));
    blocks.push(new Block(payload.subarray(FIXED_PAYLOAD_BYTES), previousHash, nonce));
    offset = payloadStart + length;
  }
  return { blocks, end: offset };
}

/** Takes the directory's lock, or explains who holds it. A lock left by a dead process is taken over. */
function takeLock(lockPath: string): void {
  try {
    writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new BlockLogError(`cannot lock ${lockPath}: ${(error as Error).message}`);
  }
  const owner = Number(readFileSync(lockPath, 'utf8').trim());
  if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
    throw new BlockLogError(`${lockPath} is held by process ${owner}: another node is using this --data-dir`);
  }
  writeFileSync(lockPath, String(process.pid));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseLock(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch {
    // Already gone: nothing to release.
  }
}
