import { describe, expect, it } from 'vitest';
import { blockVectors, malformedVectors, minedVectors } from './helpers/vectors.js';
import { runCli } from './helpers/cli.js';
import { MAX_DATAGRAM_BYTES, MAX_DATA_BYTES } from '../src/primitives/limits.js';

const jsonLines = (text: string): unknown[] =>
  text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);

describe('powchain block verify', () => {
  it('prints the hash and validity of every block the seed made, one line per input', async () => {
    const input = blockVectors.map((v) => v.encoding).join('\n') + '\n';
    const result = await runCli(['block', 'verify'], input);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual(blockVectors.map((v) => ({ hash: v.hash, valid_pow: v.valid_pow_2_235 })));
  });

  it('judges validity against --target', async () => {
    const input = minedVectors.map((v) => v.encoding).join('\n') + '\n';
    const loose = await runCli(['block', 'verify', '--target', '2^240'], input);
    const strict = await runCli(['block', 'verify', '--target', '2^200'], input);
    expect(jsonLines(loose.stdout).map((line) => (line as { valid_pow: boolean }).valid_pow)).toEqual(
      minedVectors.map((v) => v.target_log2 <= 240),
    );
    expect(jsonLines(strict.stdout).every((line) => (line as { valid_pow: boolean }).valid_pow === false)).toBe(true);
  });

  it('answers each malformed line with an error and carries on with the next one', async () => {
    const good = blockVectors[0]!;
    const input = malformedVectors.flatMap((v) => [v.wire, good.encoding]).join('\n') + '\n';
    const result = await runCli(['block', 'verify'], input);
    expect(result.code).toBe(0);
    const lines = jsonLines(result.stdout) as Array<Record<string, unknown>>;
    expect(lines).toHaveLength(2 * malformedVectors.length);
    lines.forEach((line, i) => {
      if (i % 2 === 0) expect(typeof line.error).toBe('string');
      else expect(line).toEqual({ hash: good.hash, valid_pow: good.valid_pow_2_235 });
    });
  });

  it('refuses a bad --target with a one-line error and a non-zero exit', async () => {
    const result = await runCli(['block', 'verify', '--target', 'lots'], '');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('target must be 0xHEX, 2^N or a decimal integer');
    expect(result.stderr).not.toContain('    at ');
  });
});

describe('powchain block mine', () => {
  // Every engine (and the default, no --engine), one thread: the seed's order, so the seed's
  // nonce, for every mined vector.
  it.each(['default', 'wasm-simd', 'wasm', 'js', 'node-crypto'])(
    "finds the seed's nonce for every mined vector with engine %s",
    async (engine) => {
      const engineArgs = engine === 'default' ? [] : ['--engine', engine];
      const results = await Promise.all(
        minedVectors.map((v) =>
          runCli([
            'block',
            'mine',
            '--threads',
            '1',
            ...engineArgs,
            '--data-base64',
            v.data_b64,
            '--prev',
            v.previous_hash,
            '--target',
            v.target,
          ]),
        ),
      );
      expect(results.map((result) => result.stderr)).toEqual(minedVectors.map(() => ''));
      expect(results.map((result) => result.stdout)).toEqual(minedVectors.map((v) => v.encoding + '\n'));
    },
    120_000,
  );

  it('takes text data and the genesis parent by default', async () => {
    const result = await runCli(['block', 'mine', '--threads', '1', '--data', 'Genesis', '--target', '2^248']);
    const verified = await runCli(['block', 'verify', '--target', '2^248'], result.stdout);
    expect(JSON.parse(result.stdout)).toMatchObject({ data: 'R2VuZXNpcw==', previous_hash: '00'.repeat(32) });
    expect(JSON.parse(verified.stdout)).toMatchObject({ valid_pow: true });
  });

  it('refuses a missing --data and a short --prev with clear errors', async () => {
    const missing = await runCli(['block', 'mine']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--data');
    const short = await runCli(['block', 'mine', '--data', 'x', '--prev', 'abcd']);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('hash must be 32 bytes, got 2');
  });
});

describe('powchain block verify: limits at the edge of a datagram', () => {
  const good = blockVectors[0]!;
  const goodAnswer = { hash: good.hash, valid_pow: good.valid_pow_2_235 };

  it('answers a compact-JSON block with one data byte too many with an error, and carries on', async () => {
    const data = Buffer.alloc(MAX_DATA_BYTES + 1, 0x61).toString('base64');
    const line = `{"data":"${data}","previous_hash":"${'00'.repeat(32)}","p_o_w":"${'00'.repeat(8)}"}`;
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    const result = await runCli(['block', 'verify'], `${line}\n${good.encoding}\n`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([
      {
        error: `data is ${MAX_DATA_BYTES + 1} bytes, over the ${MAX_DATA_BYTES} that fit in a datagram`,
      },
      goodAnswer,
    ]);
  });

  it('decodes a line of exactly a datagram, refuses one byte more (and 5 MB) by its size, and carries on', async () => {
    const atLimit = ' '.repeat(MAX_DATAGRAM_BYTES - good.encoding.length) + good.encoding;
    const overLimit = ' ' + atLimit;
    const huge = 'x'.repeat(5_000_000);
    const input = [atLimit, overLimit, huge, good.encoding + '\r', '', good.encoding].join('\n');
    const result = await runCli(['block', 'verify'], input);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([
      goodAnswer,
      { error: `datagram is ${MAX_DATAGRAM_BYTES + 1} bytes, over ${MAX_DATAGRAM_BYTES}` },
      { error: `datagram is 5000000 bytes, over ${MAX_DATAGRAM_BYTES}` },
      goodAnswer,
      { error: 'empty datagram' },
      goodAnswer,
    ]);
  });
});

describe('powchain block mine: data over the limit', () => {
  it.each([
    ['--data', 'a'.repeat(MAX_DATA_BYTES + 1)],
    ['--data-base64', Buffer.alloc(MAX_DATA_BYTES + 1).toString('base64')],
  ])('refuses %s of one byte too many with one powchain: line', async (option, value) => {
    const result = await runCli(['block', 'mine', '--threads', '1', option, value]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `powchain: block data is ${MAX_DATA_BYTES + 1} bytes; at most ${MAX_DATA_BYTES} fit in one ${MAX_DATAGRAM_BYTES}-byte datagram\n`,
    );
    expect(result.stdout).toBe('');
  });
});
