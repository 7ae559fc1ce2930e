import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_DATA_BYTES, MAX_TARGET } from '../src/primitives/limits.js';
import { BlockLogError } from '../src/store/errors.js';
import {
  FIXED_PAYLOAD_BYTES,
  HEADER_PREFIX,
  type LogSource,
  MAX_HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  RecordScanner,
  type ScanStep,
  describeNetwork,
  encodeRecords,
  headerFor,
  parseHeader,
  payloadFields,
  sameNetwork,
} from '../src/store/log-format.js';

// The log's bytes, in memory: the scanner reads through the same LogSource a file gives it.
const memory = (bytes: Uint8Array): LogSource => ({
  size: bytes.length,
  read: (into, position) => {
    const part = bytes.subarray(position, position + into.length);
    into.set(part);
    return part.length;
  },
});
/** `memory`, with every read it was asked for as [position, bytes asked]. */
function counted(bytes: Uint8Array): { source: LogSource; reads: [number, number][] } {
  const inner = memory(bytes);
  const reads: [number, number][] = [];
  return {
    reads,
    source: {
      size: inner.size,
      read: (into, position) => {
        reads.push([position, into.length]);
        return inner.read(into, position);
      },
    },
  };
}

/** The kinds of every step of a scan of `source` from `start`. */
function kinds(source: LogSource, start = 0): string[] {
  const scanner = new RecordScanner(source, start);
  const steps: string[] = [];
  for (let step = scanner.next(); ; step = scanner.next()) {
    steps.push(step.kind);
    if (step.kind !== 'record') return steps;
  }
}

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const header = (text: string) => parseHeader(latin1(text).subarray(0, MAX_HEADER_BYTES), latin1(text).length);

/** A record by hand: length, CRC and payload as given. */
function record(payload: Uint8Array, checksum = crc32(payload), length = payload.length): Buffer {
  const head = Buffer.alloc(RECORD_HEADER_BYTES);
  head.writeUInt32BE(length, 0);
  head.writeUInt32BE(checksum, 4);
  return Buffer.concat([head, payload]);
}

/** Every step of a scan from `start`, through the end (or the first torn tail or damage). */
function scan(bytes: Uint8Array, start = 0): ScanStep[] {
  const scanner = new RecordScanner(memory(bytes), start);
  const steps: ScanStep[] = [];
  for (;;) {
    const step = scanner.next();
    steps.push(step.kind === 'record' ? { ...step, payload: Uint8Array.from(step.payload) } : step);
    if (step.kind !== 'record') return steps;
  }
}

const blocks = [new Block('Genesis'), new Block(new Uint8Array(100).fill(7), new Uint8Array(32).fill(1), 99n)];
const payloadOf = (block: Block): Uint8Array =>
  Uint8Array.from([...block.previousHash, ...block.proofOfWork, ...block.data]);

describe('the header line', () => {
  it('is the prefix, then the target in hex or network=powchain, then a newline', () => {
    expect(HEADER_PREFIX).toBe('powchain-blocks v1 ');
    expect(headerFor({ network: 'seed', target: 1n << 235n })).toBe(`powchain-blocks v1 target=8${'0'.repeat(58)}\n`);
    expect(headerFor({ network: 'powchain' })).toBe('powchain-blocks v1 network=powchain\n');
    expect(describeNetwork({ network: 'seed', target: 1n << 235n })).toBe('seed (target 2^235)');
    expect(describeNetwork({ network: 'powchain' })).toBe('powchain');
  });

  it('reads back what headerFor writes, with the bytes it takes', () => {
    for (const network of [
      { network: 'seed', target: 1n },
      { network: 'seed', target: MAX_TARGET },
      { network: 'seed', target: 0xabcn },
      { network: 'powchain' },
    ] as const) {
      const text = headerFor(network);
      expect(parseHeader(latin1(text + 'records'), text.length + 7)).toEqual({ ok: true, network, bytes: text.length });
    }
  });

  it('takes targets of 1 to 64 lower-case hex digits from 1 up, and refuses the rest as an unknown network', () => {
    expect(header(`${HEADER_PREFIX}target=${'f'.repeat(64)}\n`)).toMatchObject({
      ok: true,
      network: { network: 'seed', target: MAX_TARGET },
    });
    expect(header(`${HEADER_PREFIX}target=01\n`)).toMatchObject({ ok: true, network: { network: 'seed', target: 1n } });
    for (const rest of [
      'target=0',
      'target=' + '0'.repeat(64),
      'target=1' + '0'.repeat(64),
      'target=AB',
      'target=',
      'target=1 ',
      ' target=1',
      'target=1x',
      'network=powchain ',
      'network=Powchain',
      'network=',
      '',
    ]) {
      expect(header(`${HEADER_PREFIX}${rest}\n`)).toEqual({
        ok: false,
        reason: 'unknown-network',
        detail: `its header "${HEADER_PREFIX}${rest}" names no network known here`,
      });
    }
  });

  it('refuses another version, and what is not a block log, each with its reason', () => {
    expect(header('powchain-blocks v2 target=1\n')).toEqual({
      ok: false,
      reason: 'unsupported-version',
      detail: 'its header "powchain-blocks v2 target=1" is not version v1',
    });
    expect(header('powchain-blocks \tv1\x00\n')).toEqual({
      ok: false,
      reason: 'unsupported-version',
      detail: 'its header "powchain-blocks ?v1?" is not version v1',
    });
    const notALog = { ok: false, reason: 'not-a-block-log', detail: 'it does not start with "powchain-blocks v1"' };
    for (const text of ['hello\n', 'powchain-blocks\n', 'Powchain-blocks v1 network=powchain\n', '\n'])
      expect(header(text)).toEqual(notALog);
  });

  it('reads an empty file, and a prefix of a header that a crash cut short, as an empty log with a torn tail', () => {
    expect(parseHeader(new Uint8Array(0), 0)).toEqual({ ok: true, network: undefined, bytes: 0, tornBytes: 0 });
    for (const text of [
      'p',
      'powchain-blocks v1',
      HEADER_PREFIX,
      `${HEADER_PREFIX}target=ab`,
      `${HEADER_PREFIX}network=pow`,
    ]) {
      expect(header(text)).toEqual({ ok: true, network: undefined, bytes: 0, tornBytes: text.length });
    }
  });

  it('reads a first line without a newline as no header when it is not a prefix of one, not the header alphabet, or 128 bytes long', () => {
    const notALog = { ok: false, reason: 'not-a-block-log', detail: 'it does not start with "powchain-blocks v1"' };
    for (const text of [
      'x',
      'powchain-blocks v2',
      'Powchain',
      `${HEADER_PREFIX}target=AB`,
      `${HEADER_PREFIX}_`,
      'powchain-blocks v1\t',
    ]) {
      expect(header(text)).toEqual(notALog);
    }
    const long = `${HEADER_PREFIX}target=${'0'.repeat(127 - HEADER_PREFIX.length - 7)}`;
    expect(long).toHaveLength(127);
    expect(header(long)).toEqual({ ok: true, network: undefined, bytes: 0, tornBytes: 127 });
    expect(header(`${long}0`)).toEqual(notALog);
    // Only the first 128 bytes are read: a longer first line without a newline in them is no header.
    expect(parseHeader(latin1(long + '0'), 4_000)).toEqual(notALog);
  });

  it('compares networks by kind and, for the seed, by target', () => {
    const seed = { network: 'seed', target: 5n } as const;
    expect(sameNetwork(seed, { network: 'seed', target: 5n })).toBe(true);
    expect(sameNetwork(seed, { network: 'seed', target: 6n })).toBe(false);
    expect(sameNetwork(seed, { network: 'powchain' })).toBe(false);
    expect(sameNetwork({ network: 'powchain' }, seed)).toBe(false);
    expect(sameNetwork({ network: 'powchain' }, { network: 'powchain' })).toBe(true);
  });
});

describe('records', () => {
  it('are a u32 length, a u32 CRC-32 and the payload: previous_hash, p_o_w, data', () => {
    expect([RECORD_HEADER_BYTES, FIXED_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES, MAX_RECORD_BYTES]).toEqual([
      8,
      40,
      40 + MAX_DATA_BYTES,
      48 + MAX_DATA_BYTES,
    ]);
    const bytes = encodeRecords(blocks);
    expect(bytes).toEqual(Buffer.concat(blocks.map((block) => record(payloadOf(block)))));
    expect(encodeRecords([])).toHaveLength(0);
    const fields = payloadFields(payloadOf(blocks[1]!));
    expect(fields.previousHash).toEqual(blocks[1]!.previousHash);
    expect(fields.nonce).toEqual(blocks[1]!.proofOfWork);
    expect(fields.data).toEqual(blocks[1]!.data);
  });

  it('scan back one by one, with their offsets, to the end', () => {
    const bytes = Buffer.concat([latin1('head'), encodeRecords(blocks)]);
    expect(scan(bytes, 4)).toEqual([
      { kind: 'record', offset: 4, payload: payloadOf(blocks[0]!) },
      { kind: 'record', offset: 4 + 48 + 7, payload: payloadOf(blocks[1]!) },
      { kind: 'end', offset: bytes.length },
    ]);
    expect(scan(new Uint8Array(0))).toEqual([{ kind: 'end', offset: 0 }]);
  });

  it('take a payload at the limit and at the minimum; refuse one byte past either with the reason and the length', () => {
    const atLimit = new Uint8Array(MAX_PAYLOAD_BYTES).fill(3);
    const atMinimum = new Uint8Array(FIXED_PAYLOAD_BYTES).fill(4);
    const whole = Buffer.concat([record(atLimit), record(atMinimum)]);
    expect(scan(whole).map((step) => step.kind)).toEqual(['record', 'record', 'end']);
    const over = record(new Uint8Array(MAX_PAYLOAD_BYTES + 1).fill(3));
    expect(scan(over)).toEqual([
      {
        kind: 'damage',
        offset: 0,
        reason: 'length-above-limit',
        detail: `its length field says ${MAX_PAYLOAD_BYTES + 1} bytes, over the limit ${MAX_PAYLOAD_BYTES}`,
        length: MAX_PAYLOAD_BYTES + 1,
      },
    ]);
    const under = Buffer.concat([record(new Uint8Array(39).fill(4)), record(atMinimum)]);
    expect(scan(under)).toEqual([
      {
        kind: 'damage',
        offset: 0,
        reason: 'length-below-minimum',
        detail: 'its length field says 39 bytes, under the minimum 40',
        length: 39,
      },
    ]);
  });

  it('refuse a payload whose CRC does not match, naming both', () => {
    const payload = payloadOf(blocks[1]!);
    const bad = Buffer.concat([record(payload, 0x01020304), record(payload)]);
    const actual = crc32(payload).toString(16).padStart(8, '0');
    expect(scan(bad)).toEqual([
      {
        kind: 'damage',
        offset: 0,
        reason: 'checksum-mismatch',
        detail: `the CRC-32 of its 140-byte payload is 0x${actual}, the record says 0x01020304`,
        length: 140,
      },
    ]);
  });

  it('read a bad record followed by nothing but zero bytes as a torn tail, whatever the check it fails', () => {
    const good = record(payloadOf(blocks[0]!));
    for (const tail of [Buffer.alloc(8), Buffer.alloc(500), Buffer.alloc(48)]) {
      const bytes = Buffer.concat([good, tail]);
      expect(scan(bytes).at(-1)).toEqual({ kind: 'torn', offset: good.length, bytes: tail.length });
    }
    // One non-zero byte anywhere after it makes it damage.
    const bytes = Buffer.concat([good, Buffer.alloc(8), Buffer.alloc(400), Buffer.from([1])]);
    expect(scan(bytes).at(-1)).toMatchObject({ kind: 'damage', offset: good.length, reason: 'length-below-minimum' });
  });

  it('read a record cut short by the end of the file as a torn tail, unless the bytes say otherwise', () => {
    const good = record(payloadOf(blocks[0]!));
    const last = record(payloadOf(blocks[1]!));
    for (const cut of [1, 7, 8, 9, 47, 48, last.length - 1]) {
      const bytes = Buffer.concat([good, last.subarray(0, cut)]);
      expect(scan(bytes)).toEqual([
        { kind: 'record', offset: 0, payload: payloadOf(blocks[0]!) },
        { kind: 'torn', offset: good.length, bytes: cut },
      ]);
    }
    // The length field alone is wrong: the payload after it is whole by its CRC.
    const longer = Buffer.from(last);
    longer.writeUInt32BE(140 + 200, 0);
    expect(scan(longer)).toEqual([
      {
        kind: 'damage',
        offset: 0,
        reason: 'length-past-end',
        detail: 'its length field says 340 bytes but only 140 follow, yet the 140 bytes that follow match its checksum',
        length: 340,
      },
    ]);
    // A whole record starts later in the tail: a crash cannot have cut the one before it.
    const before = Buffer.from(good);
    before.writeUInt32BE(47 + 300, 0);
    expect(scan(Buffer.concat([before, last]))).toEqual([
      {
        kind: 'damage',
        offset: 0,
        reason: 'length-past-end',
        detail: `its length field says 347 bytes but only ${47 + last.length} follow, yet a whole record starts at byte ${good.length}`,
        length: 347,
      },
    ]);
  });

  it('read a tail shorter than a record header as torn, even when a whole record could not fit in it', () => {
    const good = record(payloadOf(blocks[0]!));
    expect(scan(Buffer.concat([good, Buffer.from([0, 0, 0, 200, 1])])).at(-1)).toEqual({
      kind: 'torn',
      offset: good.length,
      bytes: 5,
    });
    // A whole record header is checked: a length under the minimum is damage, not a cut.
    expect(scan(Buffer.concat([good, Buffer.from([0, 0, 0, 5, 1, 2, 3, 4])])).at(-1)).toMatchObject({
      kind: 'damage',
      offset: good.length,
      reason: 'length-below-minimum',
    });
  });

  it('tell a torn tail from damage by the tail alone, at the edges of what a record can be', () => {
    const payload = new Uint8Array(FIXED_PAYLOAD_BYTES).fill(6);
    // The tail is exactly a record header and a minimum payload that matches its checksum: damage.
    expect(scan(record(payload, crc32(payload), 100))).toEqual([
      {
        kind: 'damage',
        offset: 0,
        reason: 'length-past-end',
        detail: 'its length field says 100 bytes but only 40 follow, yet the 40 bytes that follow match its checksum',
        length: 100,
      },
    ]);
    // A whole minimum record ends exactly at the end of the tail: damage.
    const head = record(new Uint8Array(0), 0, 200);
    expect(scan(Buffer.concat([head, record(payload)])).at(-1)).toMatchObject({
      kind: 'damage',
      detail: 'its length field says 200 bytes but only 48 follow, yet a whole record starts at byte 8',
    });
    // A record header whose checksum matches the bytes up to the end, though its length runs past it: torn.
    const rest = new Uint8Array(60).fill(7);
    const past = Buffer.concat([head, record(rest, crc32(rest), 200)]);
    expect(scan(past)).toEqual([{ kind: 'torn', offset: 0, bytes: past.length }]);
  });

  it('reads logs larger than its 1 MiB window, records across its edges included', () => {
    const many = Array.from(
      { length: 40 },
      (_, i) => new Block(new Uint8Array(30_000 + i).fill(i), new Uint8Array(32).fill(i)),
    );
    const bytes = Buffer.concat([latin1('x'), encodeRecords(many)]);
    expect(bytes.length).toBeGreaterThan(1 << 20);
    const steps = scan(bytes, 1);
    expect(steps).toHaveLength(41);
    expect(steps.slice(0, 40).map((step) => (step.kind === 'record' ? step.payload.length : -1))).toEqual(
      many.map((block) => 40 + block.data.length),
    );
    expect(
      steps.map(
        (step) =>
          step.kind === 'record' &&
          Buffer.from(step.payload).equals(Buffer.from(payloadOf(many[steps.indexOf(step)]!))),
      ),
    ).toEqual([...Array(40).fill(true), false]);
    // A torn tail of zeros longer than the window.
    const zeros = Buffer.concat([encodeRecords(many.slice(0, 1)), Buffer.alloc((1 << 20) + 10)]);
    expect(scan(zeros).at(-1)).toEqual({ kind: 'torn', offset: 48 + 30_000, bytes: (1 << 20) + 10 });
    const notZero = Buffer.from(zeros);
    notZero[notZero.length - 1] = 1;
    expect(scan(notZero).at(-1)).toMatchObject({ kind: 'damage', reason: 'length-below-minimum' });
  });

  it('reads a small log with one read of exactly its records, however many there are', () => {
    const bytes = Buffer.concat([latin1('head'), encodeRecords([...blocks, ...blocks, ...blocks])]);
    const { source, reads } = counted(bytes);
    expect(kinds(source, 4)).toEqual(['record', 'record', 'record', 'record', 'record', 'record', 'end']);
    expect(reads).toEqual([[4, bytes.length - 4]]);
  });

  it('reads a large log 1 MiB at a time at most, and a record across the window edge with one more read', () => {
    // 21 records of 49,008 bytes end 19,408 bytes short of 1 MiB; the last one starts there and runs past it.
    const big = record(new Uint8Array(49_000).fill(1));
    const last = record(new Uint8Array(30_000).fill(2));
    const bytes = Buffer.concat([...Array<Buffer>(21).fill(big), last]);
    const lastAt = 21 * big.length;
    const { source, reads } = counted(bytes);
    expect(kinds(source)).toEqual([...Array<string>(22).fill('record'), 'end']);
    expect(reads).toEqual([
      [0, 1 << 20],
      [lastAt + RECORD_HEADER_BYTES, 30_000],
    ]);
  });

  it('checks a long tail of zeros 1 MiB at a time, to its last byte and no further', () => {
    const good = record(payloadOf(blocks[0]!));
    const bytes = Buffer.concat([good, Buffer.alloc(2 * (1 << 20) + 10)]);
    const { source, reads } = counted(bytes);
    expect(kinds(source)).toEqual(['record', 'torn']);
    const at = good.length;
    expect(reads).toEqual([
      [0, 1 << 20],
      [at, 1 << 20],
      [at + (1 << 20), 1 << 20],
      [at + 2 * (1 << 20), 10],
    ]);
  });

  it('stops checking a tail of zeros where the file ends early (it shrank)', () => {
    const good = record(payloadOf(blocks[0]!));
    const bytes = Buffer.concat([good, Buffer.alloc(100)]);
    const shrunk: LogSource = { size: bytes.length + 50, read: memory(bytes).read };
    expect(kinds(shrunk)).toEqual(['record', 'torn']);
  });

  it('throws a BlockLogError when the file shrinks while it is read', () => {
    const bytes = encodeRecords(blocks);
    const shrinking: LogSource = {
      size: bytes.length,
      read: (into, position) => memory(bytes.subarray(0, 60)).read(into, position),
    };
    const scanner = new RecordScanner(shrinking, 0);
    expect(scanner.next()).toMatchObject({ kind: 'record', offset: 0 });
    expect(() => scanner.next()).toThrow(BlockLogError);
    const again = new RecordScanner(shrinking, 0);
    again.next();
    expect(() => again.next()).toThrow('the file shrank while it was read (no 8 bytes at byte 55)');
  });
});
