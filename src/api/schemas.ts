/**
 * JSON schemas for everything a request carries (docs/api.md): path parameters, query
 * strings and bodies are validated by fastify before a handler runs, so a handler only
 * ever sees a 64-hex hash, a bounded integer or a bech32m-shaped address.
 */
import { MAX_BLOCKS_LIMIT, MAX_HEIGHT, MAX_TX_BYTES } from './limits.js';

/** A block hash or txid: 64 hex digits, either case (the routes lower-case it). */
export const HASH_PATTERN = '^[0-9a-fA-F]{64}$';
/**
 * The shape of a bech32m address with the human-readable part "pow": "pow1", then at least
 * 6 characters of the bech32 alphabet (the checksum), at most 90 in all, one case. The
 * checksum and the program are decoded by the transactions code, not here.
 */
export const ADDRESS_PATTERN = '^(pow1[02-9ac-hj-np-z]{6,86}|POW1[02-9AC-HJ-NP-Z]{6,86})$';

const hashString = { type: 'string', pattern: HASH_PATTERN } as const;

export const hashParams = {
  type: 'object',
  properties: { hash: hashString },
  required: ['hash'],
  additionalProperties: false,
} as const;

export const txidParams = {
  type: 'object',
  properties: { txid: hashString },
  required: ['txid'],
  additionalProperties: false,
} as const;

export const addressParams = {
  type: 'object',
  properties: { address: { type: 'string', pattern: ADDRESS_PATTERN } },
  required: ['address'],
  additionalProperties: false,
} as const;

export const blocksQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_BLOCKS_LIMIT },
    before: { type: 'integer', minimum: 1, maximum: MAX_HEIGHT },
  },
  additionalProperties: false,
} as const;

export const treeQuery = {
  type: 'object',
  properties: { since: { type: 'integer', minimum: 0, maximum: MAX_HEIGHT } },
  additionalProperties: false,
} as const;

/** A query string with nothing in it. */
export const emptyQuery = { type: 'object', additionalProperties: false } as const;

export const submitBody = {
  type: 'object',
  properties: {
    tx: { type: 'string', minLength: 2, maxLength: 2 * MAX_TX_BYTES, pattern: '^([0-9a-fA-F]{2})+$' },
  },
  required: ['tx'],
  additionalProperties: false,
} as const;

export interface BlocksQuery {
  limit?: number;
  before?: number;
}
export interface TreeQuery {
  since?: number;
}
export interface HashParams {
  hash: string;
}
export interface TxidParams {
  txid: string;
}
export interface AddressParams {
  address: string;
}
export interface SubmitBody {
  tx: string;
}
