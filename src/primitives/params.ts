/**
 * The parameters record: the `data` of a powchain network's genesis block, fixing the
 * network's rules (block interval, ASERT half-life, initial target, subsidy schedule,
 * coinbase maturity, payload size limit, genesis time, name). Byte layout, limits and the
 * reasons for the defaults: docs/powchain-network.md. Also owns the money constants
 * (COIN, MAX_MONEY) and the subsidy schedule.
 */
import { ByteReader, ByteWriter, decodeRecord, refuse, type Decoded } from './codec.js';
import { equalBytes } from './bytes.js';
import { MAX_DATA_BYTES, MAX_TARGET } from './limits.js';

export interface NetworkParams {
  /** Ideal time between blocks (ms). */
  blockIntervalMs: number;
  /** ASERT half-life (ms): a chain this far ahead of schedule mines at half the target. */
  halfLifeMs: number;
  /** Target of block 1, full 256-bit (ASERT anchors here). */
  initialTarget: bigint;
  /** Coinbase subsidy of the first halving era, in base units. */
  subsidy: bigint;
  /** Blocks per halving era. */
  halvingInterval: number;
  /** A coinbase output of height h may be spent in a block of height >= h + coinbaseMaturity. */
  coinbaseMaturity: number;
  /** Largest block payload (bytes), at most MAX_DATA_BYTES. */
  maxBlockBytes: number;
  /** Genesis time (ms since the Unix epoch). */
  genesisTimeMs: number;
  /** Free network name: UTF-8, NFC, no control or invisible characters. */
  name: string;
}

/** Base units per coin. */
export const COIN = 100_000_000n;
/** Cap on all money: no amount, sum of amounts, or subsidy schedule may exceed it (21,000,000 coins). */
export const MAX_MONEY = 21_000_000n * COIN;

/** "powchain" then a zero byte: no text genesis (the tutorial's `Genesis`) can start like this. */
export const PARAMS_MAGIC: Uint8Array = new Uint8Array([...new TextEncoder().encode('powchain'), 0x00]);
export const PARAMS_VERSION = 1;

export const MIN_BLOCK_INTERVAL_MS = 100;
export const MAX_BLOCK_INTERVAL_MS = 86_400_000;
export const MAX_HALF_LIFE_MS = 0xffff_ffff;
export const MAX_HALVING_INTERVAL = 0xffff_ffff;
export const MIN_COINBASE_MATURITY = 1;
export const MAX_COINBASE_MATURITY = 10_000;
export const MIN_BLOCK_BYTES = 1_024;
export const MAX_GENESIS_TIME_MS = Number.MAX_SAFE_INTEGER;
export const MAX_NAME_BYTES = 32;
/** Subsidy halves this many times at most; after that it is 0. */
export const MAX_HALVINGS = 64;

const TARGET_BYTES = 32;
/** magic, version, interval, half-life, target, subsidy, halving, maturity, max bytes, time, name length. */
const FIXED_BYTES = PARAMS_MAGIC.length + 1 + 4 + 4 + TARGET_BYTES + 8 + 4 + 2 + 4 + 8 + 1;
/** Length of the longest parameters record. */
export const MAX_PARAMS_BYTES = FIXED_BYTES + MAX_NAME_BYTES;

/**
 * Defaults for a small network (reasons in docs/powchain-network.md): 1 s blocks; a 30 s
 * half-life, so a doubling of hashrate is absorbed within a minute or two while one lucky
 * block moves the target by about 2%; Bitcoin's familiar 50-coin subsidy, 210,000-block
 * halving and 21M-coin total; coinbase maturity 10 blocks; 32 KiB payloads.
 */
export const DEFAULT_PARAMS: Omit<NetworkParams, 'genesisTimeMs' | 'initialTarget'> = {
  blockIntervalMs: 1_000,
  halfLifeMs: 30_000,
  subsidy: 50n * COIN,
  halvingInterval: 210_000,
  coinbaseMaturity: 10,
  maxBlockBytes: 32 * 1024,
  name: 'powchain devnet',
};

export type ParamsVerdict = { ok: true } | { ok: false; reason: string };

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Fixed code point ranges rather than Unicode categories, so that every node, whatever its
// Unicode version, accepts the same names: C0, DEL and C1 controls; zero-width and bidi
// formatting characters, line/paragraph separators, word joiners; BOM; specials.
const FORBIDDEN_NAME_CHARACTER =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff0-\uffff]/u;

function integerIn(value: number, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= min && value <= max;
}

// In a `u` regular expression a surrogate range matches only unpaired surrogates.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

function checkName(name: string): ParamsVerdict {
  if (LONE_SURROGATE.test(name)) return { ok: false, reason: 'name is not valid UTF-8' };
  const length = utf8.encode(name).length;
  if (length < 1 || length > MAX_NAME_BYTES) {
    return { ok: false, reason: `name must be 1 to ${MAX_NAME_BYTES} bytes of UTF-8, got ${length}` };
  }
  const forbidden = FORBIDDEN_NAME_CHARACTER.exec(name);
  if (forbidden) {
    const codePoint = forbidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return { ok: false, reason: `name contains a control or invisible character (U+${codePoint})` };
  }
  if (/^\s|\s$/u.test(name)) return { ok: false, reason: 'name must not start or end with whitespace' };
  if (name.normalize('NFC') !== name) return { ok: false, reason: 'name must be in Unicode NFC form' };
  return { ok: true };
}

/** All money the subsidy schedule can ever create (base units). */
export function totalIssuance(params: Pick<NetworkParams, 'subsidy' | 'halvingInterval'>): bigint {
  let total = 0n;
  for (let halvings = 0; halvings < MAX_HALVINGS; halvings++) {
    total += (params.subsidy >> BigInt(halvings)) * BigInt(params.halvingInterval);
  }
  return total;
}

/** Every rule a parameters record must satisfy, with the first broken one as the reason. */
export function checkParams(params: NetworkParams): ParamsVerdict {
  const p = params;
  if (!integerIn(p.blockIntervalMs, MIN_BLOCK_INTERVAL_MS, MAX_BLOCK_INTERVAL_MS)) {
    return {
      ok: false,
      reason: `block interval must be ${MIN_BLOCK_INTERVAL_MS} to ${MAX_BLOCK_INTERVAL_MS} ms, got ${p.blockIntervalMs}`,
    };
  }
  if (!integerIn(p.halfLifeMs, p.blockIntervalMs, MAX_HALF_LIFE_MS)) {
    return {
      ok: false,
      reason: `half-life must be from the block interval (${p.blockIntervalMs}) to ${MAX_HALF_LIFE_MS} ms, got ${p.halfLifeMs}`,
    };
  }
  if (p.initialTarget < 1n || p.initialTarget > MAX_TARGET) {
    return { ok: false, reason: 'initial target must be between 1 and 2^256-1' };
  }
  if (p.subsidy < 1n || p.subsidy > MAX_MONEY) {
    return { ok: false, reason: `subsidy must be 1 to ${MAX_MONEY} base units, got ${p.subsidy}` };
  }
  if (!integerIn(p.halvingInterval, 1, MAX_HALVING_INTERVAL)) {
    return {
      ok: false,
      reason: `halving interval must be 1 to ${MAX_HALVING_INTERVAL} blocks, got ${p.halvingInterval}`,
    };
  }
  const issuance = totalIssuance(p);
  if (issuance > MAX_MONEY) {
    return {
      ok: false,
      reason: `subsidy schedule creates ${issuance} base units, more than MAX_MONEY (${MAX_MONEY})`,
    };
  }
  if (!integerIn(p.coinbaseMaturity, MIN_COINBASE_MATURITY, MAX_COINBASE_MATURITY)) {
    return {
      ok: false,
      reason: `coinbase maturity must be ${MIN_COINBASE_MATURITY} to ${MAX_COINBASE_MATURITY} blocks, got ${p.coinbaseMaturity}`,
    };
  }
  if (!integerIn(p.maxBlockBytes, MIN_BLOCK_BYTES, MAX_DATA_BYTES)) {
    return {
      ok: false,
      reason: `max block bytes must be ${MIN_BLOCK_BYTES} to ${MAX_DATA_BYTES}, got ${p.maxBlockBytes}`,
    };
  }
  if (!integerIn(p.genesisTimeMs, 0, MAX_GENESIS_TIME_MS)) {
    return { ok: false, reason: `genesis time must be 0 to ${MAX_GENESIS_TIME_MS} ms, got ${p.genesisTimeMs}` };
  }
  return checkName(p.name);
}

/** The canonical record; invalid parameters are a programming error (RangeError). */
export function encodeParams(params: NetworkParams): Uint8Array {
  const verdict = checkParams(params);
  if (!verdict.ok) throw new RangeError(`invalid network parameters: ${verdict.reason}`);
  const name = utf8.encode(params.name);
  return new ByteWriter()
    .bytes(PARAMS_MAGIC)
    .u8(PARAMS_VERSION)
    .u32(params.blockIntervalMs)
    .u32(params.halfLifeMs)
    .uint(params.initialTarget, TARGET_BYTES)
    .u64(params.subsidy)
    .u32(params.halvingInterval)
    .u16(params.coinbaseMaturity)
    .u32(params.maxBlockBytes)
    .u64(BigInt(params.genesisTimeMs))
    .u8(name.length)
    .bytes(name)
    .finish();
}

/** "This genesis claims to be a powchain network": its data starts with the magic. */
export function isParamsRecord(bytes: Uint8Array): boolean {
  // A shorter input gives a shorter subarray, which equalBytes tells apart by its length.
  return equalBytes(bytes.subarray(0, PARAMS_MAGIC.length), PARAMS_MAGIC);
}

function readParams(reader: ByteReader): NetworkParams {
  const version = reader.u8('version');
  if (version !== PARAMS_VERSION) refuse(`unknown parameters record version ${version}`);
  const blockIntervalMs = reader.u32('block interval');
  const halfLifeMs = reader.u32('half-life');
  const initialTarget = reader.uint(TARGET_BYTES, 'initial target');
  const subsidy = reader.u64('subsidy');
  const halvingInterval = reader.u32('halving interval');
  const coinbaseMaturity = reader.u16('coinbase maturity');
  const maxBlockBytes = reader.u32('max block bytes');
  const genesisTime = reader.u64('genesis time');
  if (genesisTime > BigInt(MAX_GENESIS_TIME_MS)) {
    refuse(`genesis time must be 0 to ${MAX_GENESIS_TIME_MS} ms, got ${genesisTime}`);
  }
  const nameLength = reader.u8('name length');
  if (nameLength > MAX_NAME_BYTES) refuse(`name must be 1 to ${MAX_NAME_BYTES} bytes of UTF-8, got ${nameLength}`);
  let name: string;
  try {
    name = strictUtf8.decode(reader.bytes(nameLength, 'name'));
  } catch (error) {
    if (error instanceof TypeError) refuse('name is not valid UTF-8');
    throw error;
  }
  const params: NetworkParams = {
    blockIntervalMs,
    halfLifeMs,
    initialTarget,
    subsidy,
    halvingInterval,
    coinbaseMaturity,
    maxBlockBytes,
    genesisTimeMs: Number(genesisTime),
    name,
  };
  const verdict = checkParams(params);
  if (!verdict.ok) refuse(verdict.reason);
  return params;
}

/** Decodes a genesis block's `data`; any other spelling than encodeParams' is refused. */
export function decodeParams(bytes: Uint8Array): Decoded<NetworkParams> {
  if (bytes.length > MAX_PARAMS_BYTES) {
    return { ok: false, reason: `parameters record is ${bytes.length} bytes, at most ${MAX_PARAMS_BYTES}` };
  }
  if (!isParamsRecord(bytes)) return { ok: false, reason: 'not a powchain parameters record (bad magic)' };
  return decodeRecord(bytes.subarray(PARAMS_MAGIC.length), readParams);
}

/** Coinbase subsidy of a block: halves every `halvingInterval` blocks, 0 after 64 halvings. */
export function subsidy(params: Pick<NetworkParams, 'subsidy' | 'halvingInterval'>, height: number): bigint {
  if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`height must be >= 0, got ${height}`);
  const halvings = Math.floor(height / params.halvingInterval);
  return halvings >= MAX_HALVINGS ? 0n : params.subsidy >> BigInt(halvings);
}
