/**
 * The options that choose the network of a genesis block a node mines (docs/networks.md):
 * `--network seed|powchain` and, for powchain, the parameters record's fields. They only
 * mean something with `genesis`: every other node takes the network of the genesis it
 * accepts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { FormatError } from '../primitives/bytes.js';
import { parseCoins, formatCoins } from '../primitives/amount.js';
import {
  DEFAULT_PARAMS,
  MAX_BLOCK_INTERVAL_MS,
  MAX_COINBASE_MATURITY,
  MAX_HALF_LIFE_MS,
  MAX_HALVING_INTERVAL,
  MIN_BLOCK_BYTES,
  MIN_BLOCK_INTERVAL_MS,
  MIN_COINBASE_MATURITY,
  type NetworkParams,
  checkParams,
  encodeParams,
} from '../primitives/params.js';
import { MAX_DATA_BYTES } from '../primitives/limits.js';
import { integerOption } from './options.js';

export type NetworkName = 'seed' | 'powchain';

export interface NetworkCliOptions {
  network?: NetworkName;
  blockInterval?: number;
  halfLife?: number;
  subsidy?: bigint;
  halvingInterval?: number;
  coinbaseMaturity?: number;
  maxBlockBytes?: number;
  name?: string;
}

const coinsOption = (text: string): bigint => {
  try {
    return parseCoins(text);
  } catch (error) {
    if (error instanceof FormatError) throw new InvalidArgumentError(error.message);
    throw error;
  }
};

/** Adds --network and the powchain parameters to a command; `defaultNetwork` for devnet. */
export function addNetworkOptions(command: Command, defaultNetwork?: NetworkName): Command {
  const network = new Option(
    '--network <name>',
    defaultNetwork
      ? "the rules: the tutorial's (seed) or timestamps, ASERT difficulty, most work and rewards (powchain)"
      : 'the network the genesis block starts: the tutorial\'s rules (seed) or powchain\'s (with "genesis" only; default seed)',
  ).choices(['seed', 'powchain']);
  if (defaultNetwork) network.default(defaultNetwork);
  const onlyPowchain = ' (powchain network)';
  return command
    .addOption(network)
    .option(
      '--block-interval <ms>',
      defaultNetwork
        ? `time between blocks to aim for, in ms: the target is calibrated to it, and ASERT keeps to it on powchain (default ${DEFAULT_PARAMS.blockIntervalMs})`
        : `time between blocks ASERT aims for, in ms (default ${DEFAULT_PARAMS.blockIntervalMs})${onlyPowchain}`,
      integerOption('block-interval', MIN_BLOCK_INTERVAL_MS, MAX_BLOCK_INTERVAL_MS),
    )
    .option(
      '--half-life <ms>',
      `ASERT half-life in ms: how fast difficulty follows hashrate (default 30 block intervals, ${DEFAULT_PARAMS.halfLifeMs} at ${DEFAULT_PARAMS.blockIntervalMs} ms)${onlyPowchain}`,
      integerOption('half-life', MIN_BLOCK_INTERVAL_MS, MAX_HALF_LIFE_MS),
    )
    .option(
      '--subsidy <coins>',
      `coins a block pays its miner before the first halving (default ${formatCoins(DEFAULT_PARAMS.subsidy)})${onlyPowchain}`,
      coinsOption,
    )
    .option(
      '--halving-interval <blocks>',
      `blocks between halvings of the subsidy (default ${DEFAULT_PARAMS.halvingInterval})${onlyPowchain}`,
      integerOption('halving-interval', 1, MAX_HALVING_INTERVAL),
    )
    .option(
      '--coinbase-maturity <blocks>',
      `blocks before a coinbase can be spent (default ${DEFAULT_PARAMS.coinbaseMaturity})${onlyPowchain}`,
      integerOption('coinbase-maturity', MIN_COINBASE_MATURITY, MAX_COINBASE_MATURITY),
    )
    .option(
      '--max-block-bytes <n>',
      `largest block payload in bytes (default ${DEFAULT_PARAMS.maxBlockBytes})${onlyPowchain}`,
      integerOption('max-block-bytes', MIN_BLOCK_BYTES, MAX_DATA_BYTES),
    )
    .option('--name <text>', `the network's name (default "${DEFAULT_PARAMS.name}")${onlyPowchain}`);
}

/** The powchain parameters asked for, or why they cannot be (a one-line reason). */
export function powchainParams(
  options: NetworkCliOptions,
  initialTarget: bigint,
  genesisTimeMs: number,
): { ok: true; params: NetworkParams } | { ok: false; reason: string } {
  const blockIntervalMs = options.blockInterval ?? DEFAULT_PARAMS.blockIntervalMs;
  const params: NetworkParams = {
    blockIntervalMs,
    // The default keeps the half-life at the same number of blocks whatever the interval.
    halfLifeMs:
      options.halfLife ?? Math.round((DEFAULT_PARAMS.halfLifeMs / DEFAULT_PARAMS.blockIntervalMs) * blockIntervalMs),
    initialTarget,
    subsidy: options.subsidy ?? DEFAULT_PARAMS.subsidy,
    halvingInterval: options.halvingInterval ?? DEFAULT_PARAMS.halvingInterval,
    coinbaseMaturity: options.coinbaseMaturity ?? DEFAULT_PARAMS.coinbaseMaturity,
    maxBlockBytes: options.maxBlockBytes ?? DEFAULT_PARAMS.maxBlockBytes,
    genesisTimeMs,
    name: options.name ?? DEFAULT_PARAMS.name,
  };
  const checked = checkParams(params);
  return checked.ok ? { ok: true, params } : { ok: false, reason: `powchain parameters: ${checked.reason}` };
}

/** The option names that only a powchain genesis takes, as given. */
export function powchainOptionsGiven(options: NetworkCliOptions): string[] {
  const names: Array<[keyof NetworkCliOptions, string]> = [
    ['blockInterval', '--block-interval'],
    ['halfLife', '--half-life'],
    ['subsidy', '--subsidy'],
    ['halvingInterval', '--halving-interval'],
    ['coinbaseMaturity', '--coinbase-maturity'],
    ['maxBlockBytes', '--max-block-bytes'],
    ['name', '--name'],
  ];
  return names.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
}

/** The data and target of a powchain genesis mined at `now`. */
export function powchainGenesisTemplate(
  options: NetworkCliOptions,
  initialTarget: bigint,
): (now: number) => { data: Uint8Array; target: bigint } {
  return (now) => {
    const made = powchainParams(options, initialTarget, now);
    // Checked at start with the same options: only the time differs.
    if (!made.ok) throw new RangeError(made.reason);
    return { data: encodeParams(made.params), target: initialTarget };
  };
}
