/**
 * `powchain block verify` and `powchain block mine` (docs/cli.md): one-shot tools around a single
 * block, speaking the tutorial's wire JSON on stdin/stdout.
 */
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { Block, BlockTooLargeError, GENESIS_PREVIOUS_HASH } from '../primitives/block.js';
import { MAX_DATAGRAM_BYTES } from '../primitives/limits.js';
import type { EngineName } from '../hashing/engine.js';
import { MinerPool } from '../hashing/pool.js';
import { decodeBlock, encodeBlock } from '../primitives/wire.js';
import { LineSplitter } from './line-splitter.js';
import { base64Option, engineOption, hashOption, targetOptionWithDefault, threadsOption } from './options.js';

/** Output is written in batches of about this many characters: one write per line was the bottleneck. */
const OUTPUT_BATCH_CHARS = 1 << 16;

function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'read wire-encoded blocks, one per line, from stdin; print one JSON line per input: ' +
        '{"hash": hex, "valid_pow": bool}, or {"error": reason} for a line that does not decode ' +
        `(a line over ${MAX_DATAGRAM_BYTES} bytes, a datagram's limit, is refused without being read whole)`,
    )
    .addOption(targetOptionWithDefault())
    .action(async (options: { target: bigint }) => {
      let output = '';
      const splitter = new LineSplitter(MAX_DATAGRAM_BYTES, {
        line: (bytes) => (output += verdictLine(bytes, options.target)),
        tooLong: (bytes) =>
          (output += JSON.stringify({ error: `datagram is ${bytes} bytes, over ${MAX_DATAGRAM_BYTES}` }) + '\n'),
      });
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
        splitter.push(chunk);
        if (output.length >= OUTPUT_BATCH_CHARS) {
          await writeOut(output);
          output = '';
        }
      }
      splitter.end();
      await writeOut(output);
    });
}

/** The answer for one line: `{"hash": hex, "valid_pow": bool}` or `{"error": reason}`, and a newline. */
export function verdictLine(line: Uint8Array, target: bigint): string {
  const decoded = decodeBlock(line);
  if (!decoded.ok) return JSON.stringify({ error: decoded.reason }) + '\n';
  const block = decoded.value;
  // What JSON.stringify would write for these two fields, without building an object.
  return `{"hash":"${block.hashHex()}","valid_pow":${block.verifyProofOfWork(target)}}\n`;
}

/** Writes to stdout, waiting for it to drain when it asks to (a slow reader must not grow memory). */
async function writeOut(text: string): Promise<void> {
  if (text.length > 0 && !process.stdout.write(text)) await once(process.stdout, 'drain');
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
      "worker threads searching disjoint nonce ranges (default 1: scans upward from 1 and finds the tutorial's nonce)",
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
      let template: Block;
      try {
        template = new Block(data, options.prev);
      } catch (error) {
        if (error instanceof BlockTooLargeError) command.error(`powchain: ${error.message}`);
        throw error;
      }
      const pool = await MinerPool.create({ threads: options.threads ?? 1, engine: options.engine });
      pool.on('mismatch', (error) => process.stderr.write(`powchain: ${error.message}; falling back to node-crypto\n`));
      try {
        // With one thread the search scans upward from 1, as the tutorial does: the same nonce.
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
    .description("one-shot tools for single blocks in the tutorial's wire format")
    .addCommand(verifyCommand())
    .addCommand(mineCommand());
}
