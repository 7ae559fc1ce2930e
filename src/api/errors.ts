/**
 * How the API says no (docs/api.md): every refusal is `{"error": reason}` with a 4xx status
 * and a reason a person can act on. Schema failures are turned into one sentence about the
 * field ("limit must be an integer from 1 to 100"), not a validator's internals.
 */
import type { FastifySchemaValidationError } from 'fastify';
import { MAX_BLOCKS_LIMIT, MAX_HEIGHT, MAX_TX_BYTES } from './limits.js';

export interface ApiError {
  error: string;
}

/** What each validated field must be, as said to the client. */
const FIELD_RULES: Record<string, string> = {
  hash: 'must be 64 hex digits',
  txid: 'must be 64 hex digits',
  address: 'must be a bech32m address: "pow1" and at least 6 more characters of the bech32 alphabet, one case',
  limit: `must be an integer from 1 to ${MAX_BLOCKS_LIMIT}`,
  before: `must be an integer from 1 to ${MAX_HEIGHT}`,
  since: `must be an integer from 0 to ${MAX_HEIGHT}`,
  tx: `must be the hex of a transaction's encoding, at most ${MAX_TX_BYTES} bytes`,
};

const PLACES: Record<string, string> = {
  params: 'path',
  querystring: 'query parameter',
  body: 'body',
  headers: 'header',
};

/** The sentence for the first schema failure of a request part (`params`, `querystring`, `body`). */
export function describeSchemaError(errors: FastifySchemaValidationError[], dataVar: string): string {
  const first = errors[0];
  const place = PLACES[dataVar] ?? dataVar;
  if (!first) return `invalid ${place}`;
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'additionalProperties') {
    return `unknown ${place === 'body' ? 'field' : place} "${String(params.additionalProperty)}"`;
  }
  if (first.keyword === 'required') return `${place} must have "${String(params.missingProperty)}"`;
  const field = first.instancePath.replace(/^\//, '');
  const rule = FIELD_RULES[field];
  if (rule) return `${field} ${rule}`;
  if (field === '' && first.keyword === 'type') return `${place} must be a JSON ${String(params.type)}`;
  return `${place} ${field} ${first.message ?? 'is invalid'}`.replace(/\s+/g, ' ').trim();
}
