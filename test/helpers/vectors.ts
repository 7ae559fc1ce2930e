/** Loads the seed-made test vectors under test/vectors/ (copied from the seed's Python code). */
import { readFileSync } from 'node:fs';

function readJsonl<T>(name: string): T[] {
  const text = readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}

export interface BlockVector {
  data_b64: string;
  previous_hash: string;
  p_o_w: string;
  hash: string;
  valid_pow_2_235: boolean;
  encoding: string;
}

export interface MinedVector {
  data_b64: string;
  previous_hash: string;
  target: string;
  target_log2: number;
  nonce: number;
  p_o_w: string;
  hash: string;
  encoding: string;
}

export interface MalformedVector {
  wire: string;
}

export const blockVectors = readJsonl<BlockVector>('blocks.jsonl');
export const minedVectors = readJsonl<MinedVector>('mined.jsonl');
export const malformedVectors = readJsonl<MalformedVector>('malformed.jsonl');
