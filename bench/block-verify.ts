/**
 * `powchain block verify` throughput: writes a file of wire-encoded blocks (one per line,
 * data of 0..100 bytes, a few malformed lines among them), then runs the command on it as a
 * whole process several times and prints lines per second (median, min, max). With two or
 * more builds, runs them in turn (A B A B ...) so a drift of the shared machine hits both.
 *
 *   npx tsx bench/block-verify.ts [--lines 200000] [--runs 5] [--bin path/to/bin/powchain.js ...]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Block } from '../src/primitives/block.js';
import { encodeBlock } from '../src/primitives/wire.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '5' },
    bin: { type: 'string', multiple: true },
  },
});
const lineCount = Number(values.lines);
const runs = Number(values.runs);
const bins = values.bin ?? [fileURLToPath(new URL('../bin/powchain.js', import.meta.url))];

function makeInput(path: string): void {
  const lines: string[] = [];
  let parent = new Block('bench genesis');
  for (let i = 0; i < lineCount; i++) {
    if (i % 100 === 99) {
      lines.push('{"data": "not base64!", "previous_hash": "00", "p_o_w": "00"}');
      continue;
    }
    const data = new Uint8Array(i % 101).map((_, j) => (i * 31 + j) & 0xff);
    const block = new Block(data, parent, BigInt(i) * 2654435761n);
    lines.push(encodeBlock(block));
    parent = block;
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** One run: seconds from spawn to exit, stdin from the file, stdout discarded. */
function run(bin: string, input: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stdin = openSync(input, 'r');
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, 'block', 'verify'], { stdio: [stdin, 'ignore', 'inherit'] });
    closeSync(stdin);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${bin} exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e9);
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'powchain-bench-verify-'));
try {
  const input = join(dir, 'blocks.jsonl');
  makeInput(input);
  await run(bins[0]!, input); // warm-up: the file into the page cache
  const seconds: number[][] = bins.map(() => []);
  for (let r = 0; r < runs; r++) for (const [i, bin] of bins.entries()) seconds[i]!.push(await run(bin, input));
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`block verify, ${lineCount} lines, ${runs} runs each (whole process, node start included)`);
  for (const [i, bin] of bins.entries()) {
    const rates = seconds[i]!.map((s) => lineCount / s);
    console.log(
      `${bin}: median ${Math.round(median(rates))} lines/s (min ${Math.round(Math.min(...rates))}, max ${Math.round(Math.max(...rates))})`,
    );
  }
  if (bins.length === 2) {
    const ratios = seconds[0]!.map((s, r) => s / seconds[1]![r]!);
    console.log(`time ratio first/second, run by run: median ${median(ratios).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
