/**
 * The bytes of `blocks.log` (docs/block-log.md), owned here: the network header line, the
 * record codec, and a scanner that reads records one by one and tells a torn tail (what a
 * crash leaves at the end of the file) from corruption (anything else that fails a check).
 * No decisions about what to do with either: block-log.ts and data-check.ts make those.
 */
import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { Block } from '../primitives/block.js';
import { HASH_BYTES, MAX_DATA_BYTES, NONCE_BYTES } from '../primitives/limits.js';
import { formatTarget } from '../primitives/target.js';
import { BlockLogError } from './errors.js';

/** Which network a log belongs to, as its header says. */
export type LogNetwork = { network: 'seed'; target: bigint } | { network: 'powchain' };

export const HEADER_PREFIX = 'powchain-blocks v1 ';
/** No header is longer: a first line without a newline within it is not a header. */
export const MAX_HEADER_BYTES = 128;
/** u32 BE payload length, u32 BE CRC-32 of the payload. */
export const RECORD_HEADER_BYTES = 8;
/** previous_hash and nonce: the payload before the data. */
export const FIXED_PAYLOAD_BYTES = HASH_BYTES + NONCE_BYTES;
/** The largest payload a block can have: a longer length field can only be corruption. */
export const MAX_PAYLOAD_BYTES = FIXED_PAYLOAD_BYTES + MAX_DATA_BYTES;
/** The largest record. */
export const MAX_RECORD_BYTES = RECORD_HEADER_BYTES + MAX_PAYLOAD_BYTES;

export function headerFor(network: LogNetwork): string {
  return network.network === 'seed'
    ? `${HEADER_PREFIX}target=${network.target.toString(16)}\n`
    : `${HEADER_PREFIX}network=powchain\n`;
}

export function sameNetwork(a: LogNetwork, b: LogNetwork): boolean {
  return a.network === b.network && (a.network !== 'seed' || a.target === (b as typeof a).target);
}

/** "seed (target 2^235)" or "powchain". */
export function describeNetwork(network: LogNetwork): string {
  return network.network === 'seed' ? `seed (target ${formatTarget(network.target)})` : 'powchain';
}

export type HeaderVerdict =
  | { ok: true; network: LogNetwork; bytes: number }
  /** An empty file, or a header cut short by a crash while it was written: an empty log. */
  | { ok: true; network: undefined; bytes: 0; tornBytes: number }
  | { ok: false; reason: 'not-a-block-log' | 'unsupported-version' | 'unknown-network'; detail: string };

/** Reads the header from the first bytes of a log (up to MAX_HEADER_BYTES of them, or all of a shorter file). */
export function parseHeader(first: Uint8Array, fileSize: number): HeaderVerdict {
  const newline = first.indexOf(0x0a);
  const text = Buffer.from(first.buffer, first.byteOffset, newline < 0 ? first.length : newline).toString('latin1');
  if (newline < 0) {
    // A crash while the header itself was written leaves a prefix of one (an empty file is the
    // empty prefix), and nothing after it.
    const header = /^[a-z0-9 =-]*$/.test(text) && fileSize < MAX_HEADER_BYTES;
    if (header && (HEADER_PREFIX.startsWith(text) || text.startsWith(HEADER_PREFIX))) {
      return { ok: true, network: undefined, bytes: 0, tornBytes: fileSize };
    }
    return { ok: false, reason: 'not-a-block-log', detail: `it does not start with "${HEADER_PREFIX.trim()}"` };
  }
  if (!text.startsWith('powchain-blocks ')) {
    return { ok: false, reason: 'not-a-block-log', detail: `it does not start with "${HEADER_PREFIX.trim()}"` };
  }
  if (!text.startsWith(HEADER_PREFIX)) {
    return { ok: false, reason: 'unsupported-version', detail: `its header "${printable(text)}" is not version v1` };
  }
  const rest = text.slice(HEADER_PREFIX.length);
  const bytes = newline + 1;
  // At most 64 hex digits: never above MAX_TARGET (2^256 - 1).
  const target = /^target=([0-9a-f]{1,64})$/.exec(rest);
  if (target) {
    const value = BigInt('0x' + target[1]!);
    if (value >= 1n) return { ok: true, network: { network: 'seed', target: value }, bytes };
  }
  if (rest === 'network=powchain') return { ok: true, network: { network: 'powchain' }, bytes };
  return {
    ok: false,
    reason: 'unknown-network',
    detail: `its header "${printable(text)}" names no network known here`,
  };
}

/** `text` (at most MAX_HEADER_BYTES long: it comes from `first`) with what is not printable ASCII as '?'. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** The records of `blocks`, one after the other, as one buffer (one write). */
export function encodeRecords(blocks: readonly Block[]): Buffer {
  let total = 0;
  for (const block of blocks) total += RECORD_HEADER_BYTES + FIXED_PAYLOAD_BYTES + block.data.length;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const block of blocks) {
    const data = block.data;
    const payloadStart = offset + RECORD_HEADER_BYTES;
    out.set(block.previousHash, payloadStart);
    out.set(block.proofOfWork, payloadStart + HASH_BYTES);
    out.set(data, payloadStart + FIXED_PAYLOAD_BYTES);
    const length = FIXED_PAYLOAD_BYTES + data.length;
    out.writeUInt32BE(length, offset);
    out.writeUInt32BE(crc32(out.subarray(payloadStart, payloadStart + length)), offset + 4);
    offset = payloadStart + length;
  }
  return out;
}

/** The three fields of a record's payload, as views into it. */
export function payloadFields(payload: Uint8Array): { previousHash: Uint8Array; nonce: Uint8Array; data: Uint8Array } {
  return {
    previousHash: payload.subarray(0, HASH_BYTES),
    nonce: payload.subarray(HASH_BYTES, FIXED_PAYLOAD_BYTES),
    data: payload.subarray(FIXED_PAYLOAD_BYTES),
  };
}

/** Why a record is not whole. Stable strings (they appear in `powchain data check --json`). */
export type DamageReason = 'length-below-minimum' | 'length-above-limit' | 'checksum-mismatch' | 'length-past-end';

export type ScanStep =
  | { kind: 'record'; offset: number; payload: Uint8Array }
  | { kind: 'end'; offset: number }
  /** The bytes from `offset` to the end hold no whole record: a crash cut the last one short. */
  | { kind: 'torn'; offset: number; bytes: number }
  | { kind: 'damage'; offset: number; reason: DamageReason; detail: string; length: number };

/** A file to scan: its size and positioned reads (a file descriptor, or bytes in memory in tests). */
export interface LogSource {
  readonly size: number;
  read(into: Uint8Array, position: number): number;
}

export function fileSource(fd: number, size: number): LogSource {
  return { size, read: (into, position) => readSync(fd, into, 0, into.length, position) };
}

const WINDOW_BYTES = 1 << 20;

/**
 * Reads records from `start` (just after the header) through a 1 MiB window, so memory stays
 * bounded however large the log. A step's payload is a view into the window: valid until the
 * next call of next().
 */
export class RecordScanner {
  readonly #source: LogSource;
  #offset: number;
  // Plain Uint8Arrays: a Buffer's subarray costs a FastBuffer construction per record.
  #backing: Uint8Array | undefined;
  #window: Uint8Array = new Uint8Array(0);
  #windowStart = 0;

  constructor(source: LogSource, start: number) {
    this.#source = source;
    this.#offset = start;
  }

  next(): ScanStep {
    const offset = this.#offset;
    const size = this.#source.size;
    const rest = size - offset;
    if (rest === 0) return { kind: 'end', offset };
    if (rest < RECORD_HEADER_BYTES) return this.#tail(offset, 'a record header cut short');
    const head = this.#bytes(offset, RECORD_HEADER_BYTES);
    const length = readU32(head, 0);
    const checksum = readU32(head, 4);
    if (length < FIXED_PAYLOAD_BYTES) {
      return this.#bad(
        offset,
        'length-below-minimum',
        `its length field says ${length} bytes, under the minimum ${FIXED_PAYLOAD_BYTES}`,
        length,
      );
    }
    if (length > MAX_PAYLOAD_BYTES) {
      return this.#bad(
        offset,
        'length-above-limit',
        `its length field says ${length} bytes, over the limit ${MAX_PAYLOAD_BYTES}`,
        length,
      );
    }
    if (RECORD_HEADER_BYTES + length > rest) {
      return this.#tail(
        offset,
        `its length field says ${length} bytes but only ${rest - RECORD_HEADER_BYTES} follow`,
        length,
      );
    }
    const payload = this.#bytes(offset + RECORD_HEADER_BYTES, length);
    const actual = crc32(payload);
    if (actual !== checksum) {
      return this.#bad(
        offset,
        'checksum-mismatch',
        `the CRC-32 of its ${length}-byte payload is ${hex32(actual)}, the record says ${hex32(checksum)}`,
        length,
      );
    }
    this.#offset = offset + RECORD_HEADER_BYTES + length;
    return { kind: 'record', offset, payload };
  }

  /** `count` bytes at `offset` (count <= MAX_RECORD_BYTES): a view into the window, refilled as needed. */
  #bytes(offset: number, count: number): Uint8Array {
    // Offsets only go forward (records are read in order), so the window never has to move back.
    let inWindow = offset - this.#windowStart;
    if (inWindow + count > this.#window.length) {
      this.#backing ??= new Uint8Array(Math.min(WINDOW_BYTES, this.#source.size));
      const length = Math.min(this.#backing.length, this.#source.size - offset);
      const read = readFully(this.#source, this.#backing.subarray(0, length), offset);
      if (read < count)
        throw new BlockLogError(`the file shrank while it was read (no ${count} bytes at byte ${offset})`);
      this.#window = this.#backing.subarray(0, read);
      this.#windowStart = offset;
      inWindow = 0;
    }
    return this.#window.subarray(inWindow, inWindow + count);
  }

  /** A record that fails a check: a torn tail if nothing but zero bytes follow, corruption otherwise. */
  #bad(offset: number, reason: DamageReason, detail: string, length: number): ScanStep {
    if (this.#zeroFrom(offset)) return this.#torn(offset);
    return { kind: 'damage', offset, reason, detail, length };
  }

  /**
   * The file ends inside the record at `offset`. That is a torn tail (a crash cut the last
   * write short), unless the bytes say otherwise: a cut can only come after every whole
   * record, and it leaves fewer payload bytes than the checksum covers. So when the bytes
   * after the record header are a whole payload by its checksum (the length field alone is
   * damaged), or a whole record starts later in the tail, it is damage.
   */
  #tail(offset: number, detail: string, length = 0): ScanStep {
    const size = this.#source.size;
    const tail = Buffer.alloc(size - offset);
    readFully(this.#source, tail, offset);
    const damage = (why: string): ScanStep => ({
      kind: 'damage',
      offset,
      reason: 'length-past-end',
      detail: `${detail}, yet ${why}`,
      length,
    });
    if (tail.length >= RECORD_HEADER_BYTES + FIXED_PAYLOAD_BYTES) {
      if (crc32(tail.subarray(RECORD_HEADER_BYTES)) === tail.readUInt32BE(4)) {
        return damage(`the ${tail.length - RECORD_HEADER_BYTES} bytes that follow match its checksum`);
      }
    }
    const whole = firstWholeRecord(tail, 1);
    if (whole !== -1) return damage(`a whole record starts at byte ${offset + whole}`);
    return this.#torn(offset);
  }

  #torn(offset: number): ScanStep {
    this.#offset = this.#source.size;
    return { kind: 'torn', offset, bytes: this.#source.size - offset };
  }

  /** True when every byte from `offset` to the end is zero (read in windows: the rest may be large). */
  #zeroFrom(offset: number): boolean {
    const buffer = Buffer.allocUnsafe(Math.min(WINDOW_BYTES, this.#source.size - offset));
    for (let position = offset; position < this.#source.size;) {
      const read = readFully(
        this.#source,
        buffer.subarray(0, Math.min(buffer.length, this.#source.size - position)),
        position,
      );
      if (read === 0) break;
      for (let i = 0; i < read; i++) if (buffer[i] !== 0) return false;
      position += read;
    }
    return true;
  }
}

/** The offset of the first whole record (plausible length, matching CRC) at or after `from` in `bytes`, or -1. */
function firstWholeRecord(bytes: Buffer, from: number): number {
  for (let at = from; at + RECORD_HEADER_BYTES + FIXED_PAYLOAD_BYTES <= bytes.length; at++) {
    const length = bytes.readUInt32BE(at);
    if (length < FIXED_PAYLOAD_BYTES) continue;
    // A length over MAX_PAYLOAD_BYTES fails the next check: a tail is shorter than the largest record (see #tail).
    const end = at + RECORD_HEADER_BYTES + length;
    if (end > bytes.length) continue;
    if (crc32(bytes.subarray(at + RECORD_HEADER_BYTES, end)) === bytes.readUInt32BE(at + 4)) return at;
  }
  return -1;
}

function readFully(source: LogSource, into: Uint8Array, position: number): number {
  let done = 0;
  while (done < into.length) {
    const read = source.read(into.subarray(done), position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function hex32(value: number): string {
  return '0x' + value.toString(16).padStart(8, '0');
}
