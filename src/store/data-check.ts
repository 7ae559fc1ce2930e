/**
 * `powchain data check` and `powchain data repair` (docs/block-log.md, "Check and repair"):
 * reading a data directory without changing it, and cutting a damaged log back to its
 * longest valid prefix with the rest set aside in a file beside it (never deleted).
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Block, BlockArena } from '../primitives/block.js';
import { BlockLogError, fsError } from './errors.js';
import { LOG_FILE, setAside } from './data-dir.js';
import { lockHolder, releaseLock, takeLock } from './lock.js';
import {
  type DamageReason,
  type HeaderVerdict,
  type LogNetwork,
  type LogSource,
  MAX_HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  FIXED_PAYLOAD_BYTES,
  RECORD_HEADER_BYTES,
  RecordScanner,
  fileSource,
  parseHeader,
  payloadFields,
} from './log-format.js';
import { restoreChain } from './restore.js';

type HeaderProblem = Extract<HeaderVerdict, { ok: false }>['reason'];

/** The first place the log's bytes are not whole (records are numbered from 1; 0 is the header). */
export interface LogDamage {
  offset: number;
  record: number;
  reason: DamageReason | HeaderProblem;
  detail: string;
  /** Whole records found after the damaged one (skipping it by its length field), if it could be skipped. */
  wholeRecordsAfter: number;
}

/** The chain the whole records make, re-validated (restore.ts). */
export interface ChainSummary {
  /** Blocks of the longest valid prefix. */
  blocks: number;
  height: number;
  head: string;
  root: string;
  /** The first record the chain rules refused: the end of the valid prefix. */
  refusal?: { record: number; offset: number; reason: string };
}

export interface DataCheck {
  dir: string;
  log: string;
  bytes: number;
  network: LogNetwork | undefined;
  /** Whole records before any damage. */
  records: number;
  /** A torn tail (a crash cut the last record short): the next open cuts it off; nothing is lost. */
  tornBytes: number;
  damage: LogDamage | undefined;
  chain: ChainSummary | undefined;
  /** The longest valid prefix: what `data repair` keeps. */
  keep: { records: number; bytes: number };
  /** No damage and no block refused (a torn tail alone still counts as whole). */
  whole: boolean;
  /** A live process holding the LOCK: a node may be appending while this reads. */
  lockedBy: number | undefined;
}

export interface DataRepair {
  check: DataCheck;
  /** none: nothing to do; cut-torn-tail: a torn tail cut off; set-aside: the rest moved to `movedTo`. */
  action: 'none' | 'cut-torn-tail' | 'set-aside';
  movedTo?: string;
  movedBytes: number;
}

function checkIsDataDir(dir: string): string {
  if (dir === '') throw new BlockLogError('the data directory is an empty string: give the path of a folder');
  let isFolder: boolean;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch (error) {
    throw fsError(`cannot use ${dir} as a data directory`, error);
  }
  if (!isFolder) throw new BlockLogError(`cannot use ${dir} as a data directory: it is a file, not a folder`);
  return join(dir, LOG_FILE);
}

function openLog(path: string, dir: string, flags: 'r' | 'r+'): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BlockLogError(`${dir} has no ${LOG_FILE}: no node has kept blocks there`);
    }
    throw fsError(`cannot open ${path}`, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new BlockLogError(`${path} is not a regular file`);
    return { fd, size: stat.size };
  } catch (error) {
    closeSync(fd);
    throw fsError(`cannot read ${path}`, error);
  }
}

/** Reads a data directory and says whether its log is whole, without changing anything. */
export function checkDataDir(dir: string): DataCheck {
  const path = checkIsDataDir(dir);
  const lockedBy = lockHolder(dir);
  const { fd, size } = openLog(path, dir, 'r');
  try {
    return { ...inspect(fileSource(fd, size), dir, path), lockedBy };
  } catch (error) {
    throw fsError(`cannot read ${path}`, error);
  } finally {
    closeSync(fd);
  }
}

/**
 * Keeps the longest valid prefix of the log and sets the rest aside in
 * `blocks.log.damaged-<time>` beside it; cuts off a torn tail. Takes the LOCK for the time it
 * works, so it refuses while a node has the directory open. Refuses a file whose header is not
 * a block log's (it may not be ours to cut).
 */
export function repairDataDir(dir: string): DataRepair {
  const path = checkIsDataDir(dir);
  const lockPath = takeLock(dir);
  try {
    const { fd, size } = openLog(path, dir, 'r+');
    try {
      const check = { ...inspect(fileSource(fd, size), dir, path), lockedBy: undefined };
      if (check.damage?.record === 0) {
        throw new BlockLogError(`${path} is not a powchain block log (${check.damage.detail}); nothing was changed`);
      }
      if (!check.whole) {
        const movedTo = setAside(fd, dir, check.keep.bytes, size);
        return { check, action: 'set-aside', movedTo, movedBytes: size - check.keep.bytes };
      }
      if (check.tornBytes > 0) {
        try {
          ftruncateSync(fd, check.keep.bytes);
          fdatasyncSync(fd);
        } catch (error) {
          throw fsError(`cannot cut the torn tail off ${path}`, error);
        }
        return { check, action: 'cut-torn-tail', movedBytes: 0 };
      }
      return { check, action: 'none', movedBytes: 0 };
    } finally {
      closeSync(fd);
    }
  } finally {
    releaseLock(lockPath);
  }
}

/** Everything check reports but the LOCK: format, then the chain the whole records make. */
function inspect(source: LogSource, dir: string, path: string): Omit<DataCheck, 'lockedBy'> {
  const first = Buffer.alloc(Math.min(source.size, MAX_HEADER_BYTES));
  source.read(first, 0);
  const header = parseHeader(first, source.size);
  const base = { dir, log: path, bytes: source.size };
  if (!header.ok) {
    const damage = { offset: 0, record: 0, reason: header.reason, detail: header.detail, wholeRecordsAfter: 0 };
    return {
      ...base,
      network: undefined,
      records: 0,
      tornBytes: 0,
      damage,
      chain: undefined,
      keep: { records: 0, bytes: 0 },
      whole: false,
    };
  }
  if (header.network === undefined) {
    return {
      ...base,
      network: undefined,
      records: 0,
      tornBytes: header.tornBytes,
      damage: undefined,
      chain: undefined,
      keep: { records: 0, bytes: 0 },
      whole: true,
    };
  }
  const network = header.network;
  const arena = new BlockArena();
  const blocks: Block[] = [];
  const offsets: number[] = [];
  const scanner = new RecordScanner(source, header.bytes);
  let tornBytes = 0;
  let damage: LogDamage | undefined;
  let end: number;
  for (;;) {
    const step = scanner.next();
    if (step.kind === 'record') {
      const { data, previousHash, nonce } = payloadFields(step.payload);
      blocks.push(arena.block(data, previousHash, nonce));
      offsets.push(step.offset);
      continue;
    }
    end = step.offset;
    if (step.kind === 'torn') tornBytes = step.bytes;
    if (step.kind === 'damage') {
      damage = {
        offset: step.offset,
        record: blocks.length + 1,
        reason: step.reason,
        detail: step.detail,
        wholeRecordsAfter: wholeRecordsAfter(source, step.offset, step.length),
      };
    }
    break;
  }
  const chain = summarizeChain(network, blocks, offsets);
  const keptRecords = chain?.refusal ? chain.refusal.record - 1 : blocks.length;
  const keepBytes = keptRecords < offsets.length ? offsets[keptRecords]! : end;
  return {
    ...base,
    network,
    records: blocks.length,
    tornBytes,
    damage,
    chain,
    keep: { records: keptRecords, bytes: keepBytes },
    whole: damage === undefined && chain?.refusal === undefined,
  };
}

function summarizeChain(network: LogNetwork, blocks: readonly Block[], offsets: number[]): ChainSummary | undefined {
  if (blocks.length === 0) return undefined;
  const restored = restoreChain(network, blocks);
  if (!restored.tree) {
    const root = blocks[0]!.hashHex();
    return {
      blocks: 0,
      height: -1,
      head: '',
      root,
      refusal: { record: 1, offset: offsets[0]!, reason: restored.refusal.reason },
    };
  }
  const { tree } = restored;
  return {
    blocks: restored.restored,
    height: tree.head.height,
    head: tree.head.hash,
    root: tree.root.hash,
    ...(restored.refusal
      ? {
          refusal: {
            record: restored.refusal.index + 1,
            offset: offsets[restored.refusal.index]!,
            reason: restored.refusal.reason,
          },
        }
      : {}),
  };
}

/** Whole records after a damaged one, when its length field lets it be skipped: how much a repair sets aside that was readable. */
function wholeRecordsAfter(source: LogSource, offset: number, length: number): number {
  if (length < FIXED_PAYLOAD_BYTES || length > MAX_PAYLOAD_BYTES) return 0;
  const next = offset + RECORD_HEADER_BYTES + length;
  if (next > source.size) return 0;
  const scanner = new RecordScanner(source, next);
  let count = 0;
  while (scanner.next().kind === 'record') count++;
  return count;
}
