/**
 * The `powchain` command line: commander wiring only; each command lives in its own module.
 */
import { Command } from 'commander';
import { blockCommand } from './block.js';
import { benchCommand } from './bench.js';
import { mineCommand } from './mine.js';
import { devnetCommand } from './devnet.js';

// A reader that goes away (`powchain mine ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('powchain')
  .description(
    'A proof-of-work blockchain node and miner: WebAssembly SHA-256 across worker threads, UDP gossip, ' +
      "the tutorial's network (seed) and powchain's (ASERT difficulty, most work, transactions). docs/cli.md",
  )
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

program.addCommand(mineCommand());
program.addCommand(devnetCommand());
program.addCommand(blockCommand());
program.addCommand(benchCommand());
program.addCommand((await import('./data.js')).dataCommand());
program.addCommand((await import('./wallet.js')).walletCommand());

await program.parseAsync(process.argv);
