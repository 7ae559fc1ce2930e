/**
 * Every size and numeric limit of the block format, defined once (docs/protocol.md).
 * Nothing here imports anything: every layer may use it without forming a cycle.
 */

/** A block hash and a `previous_hash`: SHA-256, 32 bytes. */
export const HASH_BYTES = 32;
/** The nonce (`p_o_w`): an unsigned 64-bit big-endian integer. */
export const NONCE_BYTES = 8;
/** 2^64: the exclusive upper end of the nonce space; nonces are in [0, NONCE_LIMIT). */
export const NONCE_LIMIT = 1n << 64n;
/** 2^256: a hash, read as a big-endian unsigned integer, is below it. */
export const HASH_SPACE = 1n << 256n;
/** The largest target, 2^256 - 1: every hash meets it. */
export const MAX_TARGET = HASH_SPACE - 1n;
/** Largest UDP payload over IPv4; a block whose wire encoding is longer cannot be sent. */
export const MAX_DATAGRAM_BYTES = 65_507;

// Length of the tutorial's encoding without the base64 text:
// {"data": "", "previous_hash": "<64>", "p_o_w": "<16>"}
const ENCODING_OVERHEAD = '{"data": "", "previous_hash": "", "p_o_w": ""}'.length + 2 * HASH_BYTES + 2 * NONCE_BYTES;
/** Largest `data` whose block still fits in one datagram in the tutorial's encoding (49,035 bytes). */
export const MAX_DATA_BYTES = Math.floor((MAX_DATAGRAM_BYTES - ENCODING_OVERHEAD) / 4) * 3;
