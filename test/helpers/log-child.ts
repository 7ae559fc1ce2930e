/**
 * A child process for block-log tests that need a process to die or to hit a limit:
 *
 *   compact <dir> <a.json> <b.json>  opens the log, prints "ready", then compacts it to the
 *                                    blocks listed in a (hashes), then b, then a, ... forever
 *   fill <dir>                       appends blocks one by one until an append fails (run it
 *                                    under `ulimit -f`), then prints what happened as JSON
 *
 * Run with `node --import tsx test/helpers/log-child.ts ...`.
 */
import { readFileSync } from 'node:fs';
import { Block } from '../../src/primitives/block.js';
import { MAX_TARGET } from '../../src/primitives/limits.js';
import { BlockLog, BlockLogError } from '../../src/store/block-log.js';

const [mode, dir, ...rest] = process.argv.slice(2);

if (mode === 'compact') {
  const { log, blocks } = BlockLog.open(dir!);
  const byHash = new Map(blocks.map((block) => [block.hashHex(), block]));
  const lists = rest.map((file) =>
    (JSON.parse(readFileSync(file, 'utf8')) as string[]).map((hash) => byHash.get(hash)!),
  );
  process.stdout.write('ready\n');
  for (let round = 0; ; round++) {
    log.compact(lists[round % lists.length]!);
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
