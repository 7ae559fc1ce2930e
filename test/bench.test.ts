import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderBenchSvg } from '../src/cli/bench-chart.js';
import { runCli } from './helpers/cli.js';

const TIMEOUT = 120_000;
const hasCompiler = spawnSync('cc', ['--version']).status === 0;

interface Row {
  engine: string;
  kind: string;
  threads: number;
  hashes_per_second: number;
  hashes_per_cpu_second: number;
  samples: number[];
  label?: string;
}
interface Report {
  message_bytes: number;
  results: Row[];
  references: Row[];
  notes: string[];
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('powchain bench', () => {
  it(
    'puts engines in results and the peers (hash-wasm, @noble/hashes, native C) in references, and draws them',
    { timeout: TIMEOUT },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'powchain-bench-'));
      dirs.push(dir);
      const svg = join(dir, 'bench.svg');
      const run = await runCli(
        ['bench', '--engines', 'js', '--threads', '1', '--seconds', '0.2', '--no-python', '--json', '--svg', svg],
        '',
        TIMEOUT,
      );
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.message_bytes).toBe(56);
      expect(report.results).toEqual([
        expect.objectContaining({ engine: 'js', kind: 'engine', threads: 1, hashes_per_second: expect.any(Number) }),
      ]);
      expect(report.results[0]!.hashes_per_second).toBeGreaterThan(0);
      expect(report.results[0]!.hashes_per_cpu_second).toBeGreaterThan(0);
      const names = report.references.map((row) => row.engine);
      expect(names).toEqual(expect.arrayContaining(['hash-wasm', 'noble-hashes']));
      expect(names).not.toContain('python-seed');
      for (const row of report.references) {
        expect(row).toMatchObject({ kind: 'reference', threads: 1 });
        expect(row.hashes_per_second).toBeGreaterThan(0);
        expect(row.hashes_per_cpu_second).toBeGreaterThan(0);
        expect(row.samples).toHaveLength(4);
      }
      // A native row when there is a compiler (checked against node:crypto first), else a note.
      if (hasCompiler) expect(names).toContain('native-sse2');
      else expect(report.notes.join('\n')).toMatch(/native-sse2: no C compiler \(cc\) on PATH/);
      const chart = readFileSync(svg, 'utf8');
      expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(chart).toContain('>js, 1 thread</text>');
      for (const row of report.references) expect(chart).toContain(`>${row.label!.replace(/&/g, '&amp;')}</text>`);
    },
  );

  it(
    'explains instead of measuring a native row for a layout the native kernel does not implement',
    { timeout: TIMEOUT },
    async () => {
      const run = await runCli(
        [
          'bench',
          '--engines',
          'js',
          '--threads',
          '1',
          '--seconds',
          '0.2',
          '--no-python',
          '--data-bytes',
          '57',
          '--json',
        ],
        '',
        TIMEOUT,
      );
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.references.map((row) => row.engine)).not.toContain('native-sse2');
      const expected = hasCompiler ? /native-sse2: implements only prefixes of length 48 mod 64/ : /native-sse2: no C/;
      expect(report.notes.join('\n')).toMatch(expected);
    },
  );

  it('refuses an unknown engine and a measuring time out of range, with the reason', { timeout: TIMEOUT }, async () => {
    const engine = await runCli(['bench', '--engines', 'quantum'], '', TIMEOUT);
    expect(engine.code).toBe(1);
    expect(engine.stderr).toMatch(/unknown engine "quantum"/);
    const seconds = await runCli(['bench', '--seconds', '0.1'], '', TIMEOUT);
    expect(seconds.code).toBe(1);
    expect(seconds.stderr).toMatch(/seconds must be a number between 0.2 and 600, got "0.1"/);
  });
});

describe('bench chart', () => {
  it('draws one bar per row, scaled to the largest, with the value and an escaped label', () => {
    const svg = renderBenchSvg(
      [
        { label: 'fast & <loud>', kind: 'engine', hashesPerSecond: 8_000_000 },
        { label: 'slow', kind: 'reference', hashesPerSecond: 2_000_000 },
      ],
      'title',
      ['caption'],
    );
    const bars = [...svg.matchAll(/<rect x="330" y="[\d.]+" width="([\d.]+)"/g)].map((match) => Number(match[1]));
    expect(bars).toHaveLength(2);
    expect(bars[0]! / bars[1]!).toBeCloseTo(4, 5);
    expect(svg).toContain('>fast &amp; &lt;loud&gt;</text>');
    expect(svg).toContain('>8.00</text>');
    expect(svg).toContain('>2.00</text>');
  });
});
