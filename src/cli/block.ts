/**
 * `powchain block verify` and `powchain block mine` (SPEC 5): one-shot tools around a single
 * block, speaking the seed's wire JSON on stdin/stdout.
 */
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { Command, Option } from 'commander';
import { Block, GENESIS_PREVIOUS_HASH } from '../primitives/block.js';
import { bigIntToBytes, bytesToBigInt } from '../primitives/bytes.js';
import { DEFAULT_TARGET } from '../primitives/target.js';
import { decodeBlock } from '../primitives/wire.js';
import { base64Option, hashOption, targetOption, threadsOption } from './options.js';

const targetHelp = 'proof-of-work target: 0xHEX, 2^N or decimal (default 2^235, the seed\'s)';

function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'read wire-encoded blocks, one per line, from stdin; print one JSON line per input: ' +
        '{"hash": hex, "valid_pow": bool}, or {"error": reason} for a line that does not decode',
    )
    .option('--target <target>', targetHelp, targetOption, DEFAULT_TARGET)
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
}

function mineCommand(): Command {
  return new Command('mine')
    .description('mine one block on the given parent and print its wire encoding as one line')
    .addOption(new Option('--data <text>', 'the block data, as UTF-8 text').conflicts('dataBase64'))
    .addOption(new Option('--data-base64 <b64>', 'the block data as standard base64 (for binary data)').argParser(base64Option))
    .option('--prev <hex>', 'the parent block hash, 64 hex digits (default: the genesis parent, all zero)', hashOption, GENESIS_PREVIOUS_HASH)
    .option('--target <target>', targetHelp, targetOption, DEFAULT_TARGET)
    .option('--threads <n>', 'worker threads searching disjoint nonce ranges (1 scans upward from 1, as the seed does)', threadsOption)
    .action((options: MineOptions, command: Command) => {
      const data = options.dataBase64 ?? options.data;
      if (data === undefined) command.error('error: give the block data with --data <text> or --data-base64 <b64>');
      const template = new Block(data, options.prev);
      // Scans upward from 1 as the seed does (its loop never tries nonce 0).
      const midstate = createHash('sha256').update(template.prefix());
      for (let nonce = 1n; ; nonce++) {
        const hash = midstate.copy().update(bigIntToBytes(nonce, 8)).digest();
        if (bytesToBigInt(hash) <= options.target) {
          process.stdout.write(template.withNonce(nonce).encode() + '\n');
          return;
        }
      }
    });
}

export function blockCommand(): Command {
  return new Command('block')
    .description('one-shot tools for single blocks in the seed\'s wire format')
    .addCommand(verifyCommand())
    .addCommand(mineCommand());
}
