/**
 * `powchain block verify` and `powchain block mine` (SPEC 5): one-shot tools around a single
 * block, speaking the seed's wire JSON on stdin/stdout.
 */
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { Block, GENESIS_PREVIOUS_HASH } from '../primitives/block.js';
import type { EngineName } from '../hashing/engine.js';
import { MinerPool } from '../hashing/pool.js';
import { decodeBlock, encodeBlock } from '../primitives/wire.js';
import { base64Option, engineOption, hashOption, targetOptionWithDefault, threadsOption } from './options.js';

function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'read wire-encoded blocks, one per line, from stdin; print one JSON line per input: ' +
        '{"hash": hex, "valid_pow": bool}, or {"error": reason} for a line that does not decode',
    )
    .addOption(targetOptionWithDefault())
    .action(async (options: { target: bigint }) => {
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      for await (const line of lines) {
        const decoded = decodeBlock(line);
        const result = decoded.ok
          ? { hash: decoded.value.hashHex(), valid_pow: decoded.value.verifyProofOfWork(options.target) }
          : { error: decoded.reason };
        process.stdout.write(JSON.stringify(result) + '\n');
      }
    });
}

interface MineOptions {
  data?: string;
  dataBase64?: Uint8Array;
  prev: Uint8Array;
  target: bigint;
  threads?: number;
  engine?: EngineName;
}

function mineCommand(): Command {
  return new Command('mine')
    .description('mine one block on the given parent and print its wire encoding as one line')
    .addOption(new Option('--data <text>', 'the block data, as UTF-8 text').conflicts('dataBase64'))
    .addOption(
      new Option('--data-base64 <b64>', 'the block data as standard base64 (for binary data)').argParser(base64Option),
    )
    .addOption(
      new Option('--prev <hex>', 'the parent block hash, 64 hex digits')
        .argParser(hashOption)
        .default(GENESIS_PREVIOUS_HASH, 'the genesis parent, all zero'),
    )
    .addOption(targetOptionWithDefault())
    .option(
      '--threads <n>',
      "worker threads searching disjoint nonce ranges (default 1: scans upward from 1 and finds the seed's nonce)",
      threadsOption,
    )
    .option(
      '--engine <name>',
      'hashing engine: wasm-simd, wasm, js or node-crypto (default: the fastest that works here)',
      engineOption,
    )
    .action(async (options: MineOptions, command: Command) => {
      const data = options.dataBase64 ?? options.data;
      if (data === undefined) command.error('error: give the block data with --data <text> or --data-base64 <b64>');
      const template = new Block(data, options.prev);
      const pool = await MinerPool.create({ threads: options.threads ?? 1, engine: options.engine });
      pool.on('mismatch', (error) => process.stderr.write(`powchain: ${error.message}; falling back to node-crypto\n`));
      try {
        // With one thread the search scans upward from 1, as the seed does: the same nonce.
        const outcome = await pool.mine({ prefix: template.prefix(), target: options.target });
        if (outcome.status !== 'found') command.error('error: no nonce in the whole 64-bit range meets the target');
        process.stdout.write(encodeBlock(template.withNonce(outcome.nonce)) + '\n');
      } finally {
        await pool.close();
      }
    });
}

export function blockCommand(): Command {
  return new Command('block')
    .description("one-shot tools for single blocks in the seed's wire format")
    .addCommand(verifyCommand())
    .addCommand(mineCommand());
}
