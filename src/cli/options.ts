/**
 * Parsers for command-line values, validated at the edge: each returns the value or throws
 * commander's InvalidArgumentError with the reason, which commander prints as
 * `error: option '--x <v>' argument 'y' is invalid. <reason>` and exits 1.
 */
import { quote } from '../primitives/quote.js';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { FormatError, base64ToBytes, hexToBytes } from '../primitives/bytes.js';
import { HASH_BYTES } from '../primitives/limits.js';
import { DEFAULT_TARGET, parseTarget } from '../primitives/target.js';
import { ENGINE_NAMES, type EngineName, isEngineName } from '../hashing/engine.js';

function edge<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof FormatError || error instanceof RangeError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export const targetOption = (text: string): bigint => edge(() => parseTarget(text));

export const hashOption = (text: string): Uint8Array => edge(() => hexToBytes(text, 'hash', HASH_BYTES));

/** A block hash as 64 hex digits, kept as lower-case hex. */
export const hashHexOption = (text: string): string =>
  edge(() => {
    hexToBytes(text.trim(), 'hash', HASH_BYTES);
    return text.trim().toLowerCase();
  });

export const base64Option = (text: string): Uint8Array => edge(() => base64ToBytes(text, 'data'));

export function integerOption(name: string, min: number, max: number): (text: string) => number {
  return (text: string) => {
    if (!/^\d+$/.test(text.trim()))
      throw new InvalidArgumentError(`${name} must be a whole number, got ${quote(text)}`);
    const value = Number(text);
    if (value < min || value > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return value;
  };
}

/** Worker threads: 1 .. 4 x the cores (more only adds contention). */
export const threadsOption = (text: string): number =>
  integerOption('threads', 1, Math.max(4 * availableParallelism(), 4))(text);

export function engineOption(text: string): EngineName {
  if (!isEngineName(text))
    throw new InvalidArgumentError(`unknown engine ${quote(text)} (choose from ${ENGINE_NAMES.join(', ')})`);
  return text;
}

/** `--target`, defaulting to the tutorial's 2^235 (shown as such in --help). */
export function targetOptionWithDefault(help = 'proof-of-work target: 0xHEX, 2^N or decimal'): Option {
  return new Option('--target <target>', help).argParser(targetOption).default(DEFAULT_TARGET, "2^235, the tutorial's");
}

/** `--tie-break`: how a seed network's node picks between two heads of equal height (docs/networks.md). */
export function tieBreakOption(): Option {
  return new Option(
    '--tie-break <rule>',
    "head choice between blocks of equal height: the tutorial's coin flip, or keep the first seen",
  )
    .choices(['random', 'first-seen'])
    .default('random');
}
