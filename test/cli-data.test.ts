import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockLog } from '../src/store/block-log.js';
import { runCli } from './helpers/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logWith(length: number): { dir: string; path: string; blocks: Block[] } {
  const dir = mkdtempSync(join(tmpdir(), 'powchain-cli-data-'));
  dirs.push(dir);
  const blocks = [new Block('genesis')];
  for (let i = 1; i < length; i++) blocks.push(new Block(`block ${i}`, blocks[i - 1], BigInt(i)));
  const { log } = BlockLog.open(dir);
  log.start({ network: 'seed', target: MAX_TARGET });
  log.appendBatch(blocks);
  log.close();
  return { dir, path: join(dir, 'blocks.log'), blocks };
}

/** Flips one byte of the third record's payload. */
function damageThirdRecord(path: string): number {
  const bytes = readFileSync(path);
  let at = bytes.indexOf(0x0a) + 1;
  for (let i = 0; i < 2; i++) at += 8 + bytes.readUInt32BE(at);
  bytes[at + 12]! ^= 1;
  writeFileSync(path, bytes);
  return at;
}

describe('powchain data check', () => {
  it('prints what a whole data directory holds and exits 0', async () => {
    const { dir, path, blocks } = logWith(4);
    const result = await runCli(['data', 'check', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const size = readFileSync(path).length;
    expect(result.stdout).toBe(
      [
        `data directory  ${dir}`,
        `log             ${path}, ${size} bytes`,
        `network         seed, target 0x${MAX_TARGET.toString(16)}`,
        'records         4 whole',
        'torn tail       none',
        'damage          none',
        'chain           4 blocks valid, height 3',
        `head            ${blocks[3]!.hashHex()}`,
        `root            ${blocks[0]!.hashHex()}`,
        'verdict         whole',
        '',
      ].join('\n'),
    );
  });

  it('prints the damage and what repair would keep, and exits 1; --json says the same', async () => {
    const { dir, path } = logWith(5);
    const offset = damageThirdRecord(path);
    const size = readFileSync(path).length;
    const text = await runCli(['data', 'check', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      new RegExp(
        `\\ndamage +at byte ${offset}, record 3: checksum-mismatch: the CRC-32 of its 47-byte payload .*\\(2 whole records after it\\)\\n`,
      ),
    );
    expect(text.stdout).toContain(
      `verdict         damaged: \`powchain data repair ${dir}\` keeps the first 2 blocks (bytes 0..${offset}) and sets the other ${size - offset} bytes aside\n`,
    );
    const json = await runCli(['data', 'check', dir, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      dir,
      bytes: size,
      network: { network: 'seed', target: '0x' + MAX_TARGET.toString(16) },
      records: 2,
      torn_bytes: 0,
      damage: { offset, record: 3, reason: 'checksum-mismatch', whole_records_after: 2 },
      chain: { blocks: 2, height: 1, refusal: null },
      keep: { records: 2, bytes: offset },
      whole: false,
      locked_by: null,
    });
  });

  it('a directory it cannot read: one powchain: line and exit 2', async () => {
    const { dir } = logWith(1);
    const result = await runCli(['data', 'check', join(dir, 'blocks.log')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `powchain: cannot use ${join(dir, 'blocks.log')} as a data directory: it is a file, not a folder\n`,
    );
    expect(result.stdout).toBe('');
  });
});

describe('powchain data repair', () => {
  it('keeps the valid prefix, says where the rest went, and the log checks whole after it', async () => {
    const { dir, path, blocks } = logWith(5);
    const offset = damageThirdRecord(path);
    const size = readFileSync(path).length;
    const result = await runCli(['data', 'repair', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`kept bytes 0..${offset} of ${path}: 2 blocks, height 1, head ${blocks[1]!.hashHex()}`);
    const moved = new RegExp(
      `^moved the other ${size - offset} bytes \\(from byte ${offset}: record 3, checksum-mismatch; 2 whole records were among them\\) to (${dir}/blocks\\.log\\.damaged-\\S+)$`,
    ).exec(lines[1]!);
    expect(moved).not.toBeNull();
    expect(readFileSync(moved![1]!)).toHaveLength(size - offset);
    expect((await runCli(['data', 'check', dir])).code).toBe(0);
    const again = await runCli(['data', 'repair', dir, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'none', kept_records: 2, moved_to: null });
  });

  it('refuses while another live process holds the LOCK: one line, exit 2', async () => {
    const { dir } = logWith(2);
    writeFileSync(join(dir, 'LOCK'), String(process.pid));
    const result = await runCli(['data', 'repair', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `powchain: ${join(dir, 'LOCK')} is held by process ${process.pid}: another node is using this --data-dir\n`,
    );
  });
});
