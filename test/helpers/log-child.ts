/**
 * A child process for block-log tests that need a process to die or to hit a limit:
 *
 *   compact <dir>  opens the log, prints "ready", then compacts it to forkedChain().all,
 *                  then .main, then .all, ... forever, printing "compacted" after each
 *   fill <dir>     appends blocks one by one until an append fails (run it under
 *                  `ulimit -f`), then prints what happened as JSON
 *
 * Run with `node --import tsx test/helpers/log-child.ts ...`.
 */
import { Block } from '../../src/primitives/block.js';
import { MAX_TARGET } from '../../src/primitives/limits.js';
import { BlockLog, BlockLogError } from '../../src/store/block-log.js';
import { forkedChain } from './forked-chain.js';

const [mode, dir] = process.argv.slice(2);

if (mode === 'compact') {
  const { all, main } = forkedChain();
  const { log } = BlockLog.open(dir!);
  process.stdout.write('ready\n');
  for (let round = 0; ; round++) {
    log.compact(round % 2 === 0 ? all : main);
    process.stdout.write('compacted\n');
  }
} else if (mode === 'fill') {
  // Past `ulimit -f` a write fails with EFBIG, once this signal no longer kills the process.
  process.on('SIGXFSZ', () => {});
  const { log } = BlockLog.open(dir!);
  log.start({ network: 'seed', target: MAX_TARGET });
  let parent = new Block('genesis');
  let appended = 0;
  let firstError = '';
  let sizeAfterError = 0;
  for (;;) {
    try {
      log.append(parent);
      appended++;
      parent = new Block('x'.repeat(100 + (appended % 7)), parent, BigInt(appended));
    } catch (error) {
      if (!(error instanceof BlockLogError)) throw error;
      firstError = error.message;
      sizeAfterError = log.size;
      break;
    }
  }
  let secondError = '';
  try {
    log.append(parent);
  } catch (error) {
    secondError = (error as Error).message;
  }
  log.close();
  process.stdout.write(JSON.stringify({ appended, firstError, secondError, sizeAfterError }) + '\n');
} else {
  throw new Error(`unknown mode ${mode}`);
}
