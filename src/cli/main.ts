/**
 * The `powchain` command line: commander wiring only; each command lives in its own module.
 */
import { Command } from 'commander';
import { blockCommand } from './block.js';

const program = new Command('powchain')
  .description('A proof-of-work blockchain node and miner: WebAssembly SHA-256 across worker threads, UDP gossip.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

program.addCommand(blockCommand());

await program.parseAsync(process.argv);
