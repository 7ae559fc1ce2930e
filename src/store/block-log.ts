/**
 * The block log of `--data-dir`: one append-only file, `blocks.log`, whose format is
 * docs/block-log.md (header line naming the network, then CRC-checked records in acceptance
 * order, parents first); log-format.ts owns the bytes, this module the file.
 *
 * - open(dir) works before the network is known (a node waiting for a genesis): it returns
 *   the network the header names, or none for a new or empty log; start(network) writes the
 *   header before the first append.
 * - append() and appendBatch() write and fdatasync before they return: a block is on disk
 *   before the node announces it. A failed write (disk full) throws a BlockLogError, cuts the
 *   partial record off, and the log refuses every later append: the node must stop.
 * - A torn tail (a record a crash cut short at the end) is cut off at open and reported.
 *   Anything else that fails a check is corruption: open() refuses, naming the file, the
 *   byte offset and what was wrong, and deletes nothing; `powchain data repair` sets it aside.
 * - compact() rewrites the log crash-safely: a new file beside it, synced, renamed over it.
 * - A `LOCK` file keeps two nodes off one directory (lock.ts).
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { Block, BlockArena } from '../primitives/block.js';
import { bytesToHex } from '../primitives/bytes.js';
import { BlockLogError, fsError, fsReason } from './errors.js';
import { COMPACTING_FILE, LOG_FILE, ensureDataDir, fsyncDir } from './data-dir.js';
import { releaseLock, takeLock } from './lock.js';
import {
  type LogNetwork,
  MAX_HEADER_BYTES,
  RecordScanner,
  describeNetwork,
  encodeRecords,
  fileSource,
  headerFor,
  parseHeader,
  payloadFields,
  sameNetwork,
} from './log-format.js';

export { BlockLogError, describeStoreError } from './errors.js';
export type { LogNetwork } from './log-format.js';

export interface OpenedLog {
  log: BlockLog;
  /** The network the header names; undefined for a new or empty log (call start() before appending). */
  network: LogNetwork | undefined;
  /** Every block of the log, in the order appended. */
  blocks: Block[];
  /** Bytes of a torn tail cut off (0 when the file was whole). */
  tornBytes: number;
}

/** Writes all of `bytes` at the end of the file (the fd is in append mode). */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) {
    written += writeSync(fd, bytes, written, bytes.length - written);
  }
}

export class BlockLog {
  readonly dir: string;
  readonly path: string;
  readonly #lockPath: string;
  #fd: number;
  #size: number;
  #network: LogNetwork | undefined;
  /** Set once a write failed: the file's end is no longer known to be whole, so nothing more is appended. */
  #failure: string | undefined;
  #closed = false;

  private constructor(dir: string, lockPath: string, fd: number, size: number, network: LogNetwork | undefined) {
    this.dir = dir;
    this.path = join(dir, LOG_FILE);
    this.#lockPath = lockPath;
    this.#fd = fd;
    this.#size = size;
    this.#network = network;
  }

  /**
   * Opens (creating if needed) the log in `dir` and reads every block. Throws a BlockLogError
   * (one line) when the directory cannot be used, another process holds its LOCK, or the log
   * is not whole.
   */
  static open(dir: string): OpenedLog {
    ensureDataDir(dir);
    const lockPath = takeLock(dir);
    const path = join(dir, LOG_FILE);
    let fd = -1;
    try {
      removeStaleCompaction(dir);
      try {
        fd = openSync(path, 'a+');
      } catch (error) {
        throw fsError(`cannot open ${path}`, error);
      }
      const { network, blocks, end, tornBytes } = readLog(fd, path, dir);
      if (tornBytes > 0) {
        try {
          ftruncateSync(fd, end);
          fdatasyncSync(fd);
        } catch (error) {
          throw fsError(`cannot cut the torn tail off ${path}`, error);
        }
      }
      const log = new BlockLog(dir, lockPath, fd, end, network);
      return { log, network: log.network, blocks, tornBytes };
    } catch (error) {
      if (fd !== -1) closeSync(fd);
      releaseLock(lockPath);
      throw error;
    }
  }

  /** The network of the header, once there is one. */
  get network(): LogNetwork | undefined {
    return this.#network;
  }

  /** Bytes in the log (header and whole records). */
  get size(): number {
    return this.#size;
  }

  /**
   * Writes the header for `network` into an empty log (synced before it returns). Does nothing
   * when the log already has that network; throws a BlockLogError when it has another.
   */
  start(network: LogNetwork): void {
    this.#checkWritable();
    if (this.#network !== undefined) {
      if (sameNetwork(this.#network, network)) return;
      throw new BlockLogError(
        `${this.path} belongs to network ${describeNetwork(this.#network)}, not ${describeNetwork(network)}; use another --data-dir`,
      );
    }
    this.#write(Buffer.from(headerFor(network), 'latin1'), 'write the header of');
    this.#network = network;
  }

  /** Appends one block and forces it to disk before returning. */
  append(block: Block): void {
    this.appendBatch([block]);
  }

  /** Appends blocks (parents first) with ONE write and ONE fdatasync. */
  appendBatch(blocks: readonly Block[]): void {
    this.#checkWritable();
    if (this.#network === undefined) throw new Error(`${this.path}: start(network) must come before the first append`);
    if (blocks.length === 0) return;
    this.#write(encodeRecords(blocks), 'append to');
  }

  /**
   * Rewrites the log to hold exactly `blocks` (acceptance order: every block's parent before
   * it, except the first's). Crash-safe: the new log is written beside the old, synced,
   * renamed over it, and the directory synced; a crash at any moment leaves one complete log,
   * the old or the new. A failure before the rename leaves the old log in use.
   */
  compact(blocks: readonly Block[]): void {
    this.#checkWritable();
    const network = this.#network;
    if (network === undefined) throw new Error(`${this.path}: a log without a network has nothing to compact`);
    checkParentsFirst(blocks);
    const temporary = join(this.dir, COMPACTING_FILE);
    let size: number;
    try {
      size = writeNewLog(temporary, network, blocks);
      renameSync(temporary, this.path);
    } catch (error) {
      tryUnlink(temporary);
      throw fsError(`cannot compact ${this.path} (it is unchanged)`, error);
    }
    // From here on the new log is the log: the old descriptor points at a file that is gone.
    closeSync(this.#fd);
    this.#fd = -1;
    try {
      fsyncDir(this.dir);
      this.#fd = openSync(this.path, 'a+');
    } catch (error) {
      this.#failure = `compacting it failed after the rename: ${fsReason(error)}`;
      throw fsError(`cannot reopen ${this.path} after compacting it`, error);
    }
    this.#size = size;
  }

  /** Closes the file and releases the LOCK. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#fd !== -1) closeSync(this.#fd);
    this.#failure ??= 'it is closed';
    releaseLock(this.#lockPath);
  }

  #checkWritable(): void {
    if (this.#failure !== undefined) throw new BlockLogError(`${this.path} cannot be written: ${this.#failure}`);
  }

  /** Appends `bytes` and syncs; on failure cuts back what was written and fails the log. */
  #write(bytes: Uint8Array, doing: string): void {
    try {
      writeAll(this.#fd, bytes);
      fdatasyncSync(this.#fd);
    } catch (error) {
      const reason = fsReason(error);
      try {
        ftruncateSync(this.#fd, this.#size);
        fdatasyncSync(this.#fd);
        this.#failure = `an earlier write failed: ${reason}`;
      } catch {
        this.#failure = `an earlier write failed (${reason}) and its partial record could not be cut off`;
      }
      throw new BlockLogError(`cannot ${doing} ${this.path}: ${reason}; nothing more is written to it`);
    }
    this.#size += bytes.length;
  }
}

/** Reads the whole log: its network, its blocks, where the whole part ends, and any torn tail. */
function readLog(
  fd: number,
  path: string,
  dir: string,
): { network: LogNetwork | undefined; blocks: Block[]; end: number; tornBytes: number } {
  let size: number;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new BlockLogError(`${path} is not a regular file`);
    size = stat.size;
  } catch (error) {
    throw fsError(`cannot read ${path}`, error);
  }
  const source = fileSource(fd, size);
  const first = Buffer.alloc(Math.min(size, MAX_HEADER_BYTES));
  try {
    source.read(first, 0);
  } catch (error) {
    throw fsError(`cannot read ${path}`, error);
  }
  const header = parseHeader(first, size);
  if (!header.ok) throw new BlockLogError(`${path} is not a powchain block log: ${header.detail}`);
  if (header.network === undefined) return { network: undefined, blocks: [], end: 0, tornBytes: header.tornBytes };
  const arena = new BlockArena();
  const blocks: Block[] = [];
  const scanner = new RecordScanner(source, header.bytes);
  for (;;) {
    let step;
    try {
      step = scanner.next();
    } catch (error) {
      throw fsError(`cannot read ${path}`, error);
    }
    switch (step.kind) {
      case 'record': {
        const { data, previousHash, nonce } = payloadFields(step.payload);
        blocks.push(arena.block(data, previousHash, nonce));
        break;
      }
      case 'end':
        return { network: header.network, blocks, end: step.offset, tornBytes: 0 };
      case 'torn':
        return { network: header.network, blocks, end: step.offset, tornBytes: step.bytes };
      case 'damage':
        throw new BlockLogError(
          `${path} is damaged at byte ${step.offset} (record ${blocks.length + 1}: ${step.detail}); ` +
            `nothing was removed: see \`powchain data check ${dir}\`, and \`powchain data repair ${dir}\` ` +
            `keeps the ${blocks.length} blocks before it and sets the rest aside`,
        );
    }
  }
}

/** Writes a complete log (header and records) to `path` and syncs it; its size. */
function writeNewLog(path: string, network: LogNetwork, blocks: readonly Block[]): number {
  const fd = openSync(path, 'w');
  try {
    const header = Buffer.from(headerFor(network), 'latin1');
    writeAll(fd, header);
    let size = header.length;
    // In batches, so memory stays bounded whatever the log's size.
    for (let i = 0; i < blocks.length; i += 4096) {
      const records = encodeRecords(blocks.slice(i, i + 4096));
      writeAll(fd, records);
      size += records.length;
    }
    fdatasyncSync(fd);
    return size;
  } finally {
    closeSync(fd);
  }
}

/** compact()'s contract: a block's parent comes before it (all but the first block). */
function checkParentsFirst(blocks: readonly Block[]): void {
  const seen = new Set<string>();
  for (const [index, block] of blocks.entries()) {
    if (index > 0 && !seen.has(bytesToHex(block.previousHash))) {
      throw new Error(`compact: block ${index} (${block.hashHex()}) comes before its parent`);
    }
    seen.add(block.hashHex());
  }
}

/** A compaction that a crash interrupted before its rename: the log itself is the old one, whole. */
function removeStaleCompaction(dir: string): void {
  tryUnlink(join(dir, COMPACTING_FILE));
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}
