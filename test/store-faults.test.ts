/**
 * The store's answers to file-system failures, in process: node:fs is wrapped so a test can
 * make one call fail (or write less than asked) at the moment it chooses, then checks the
 * one-line BlockLogError, that nothing was half-written, and what the log allows afterwards.
 * (test/block-log.test.ts hits a real full disk in a child process; this file reaches every
 * failure path where a mutant could hide.)
 */
import type * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useTempDirs } from './helpers/temp-dirs.js';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockLog } from '../src/store/block-log.js';
import { checkDataDir, repairDataDir } from '../src/store/data-check.js';
import { ensureDataDir, setAside } from '../src/store/data-dir.js';
import { BlockLogError, describeStoreError, fsError, fsReason } from '../src/store/errors.js';
import { lockHolder, parseLockPid, processAlive, releaseLock, takeLock } from '../src/store/lock.js';

type Fault = (...args: unknown[]) => unknown;
/** Armed faults by fs function name: a fault throws, or returns a value that replaces the call. */
const faults = vi.hoisted(() => new Map<string, Fault>());
/** Calls of each wrapped function, with their arguments. */
const calls = vi.hoisted(() => new Map<string, unknown[][]>());
/** The real functions, unwrapped. */
const realFs = vi.hoisted(() => ({}) as Record<string, (...args: unknown[]) => unknown>);

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const names = [
    'closeSync',
    'fdatasyncSync',
    'fstatSync',
    'fsyncSync',
    'ftruncateSync',
    'mkdirSync',
    'openSync',
    'readSync',
    'renameSync',
    'statSync',
    'unlinkSync',
    'writeFileSync',
    'writeSync',
  ] as const;
  const wrapped: Record<string, unknown> = {};
  for (const name of names) {
    const original = real[name] as (...args: unknown[]) => unknown;
    realFs[name] = original;
    wrapped[name] = (...args: unknown[]) => {
      calls.set(name, [...(calls.get(name) ?? []), args]);
      const fault = faults.get(name);
      if (fault) {
        const replaced = fault(...args);
        if (replaced !== undefined) return replaced;
      }
      return original(...args);
    };
  }
  return { ...real, ...wrapped, default: { ...real, ...wrapped } };
});

// The real functions, for the test's own file work (imported after the mock: wrapped, but no fault is armed then).
const { readFileSync, writeFileSync, existsSync, readdirSync, openSync, closeSync, unlinkSync } =
  await import('node:fs');

const errno = (code: string, syscall = 'write'): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: failed, ${syscall}`), { code, syscall });
const fail = (name: string, code: string, times = Infinity): void => {
  let left = times;
  faults.set(name, () => {
    if (left-- > 0) throw errno(code, name);
    return undefined;
  });
};

const SEED = { network: 'seed', target: MAX_TARGET } as const;
const tempDir = useTempDirs('powchain-faults-');
const logs: BlockLog[] = [];
afterEach(() => {
  faults.clear();
  calls.clear();
  for (const log of logs.splice(0)) log.close();
});

function chain(length: number): Block[] {
  const blocks = [new Block('Genesis', undefined, 1n)];
  for (let i = 1; i < length; i++) blocks.push(new Block(`block ${i}`, blocks[i - 1], BigInt(i)));
  return blocks;
}

/** An open log in a new directory, started, holding `blocks`. */
function logWith(blocks: readonly Block[]): { log: BlockLog; dir: string; path: string } {
  const dir = tempDir();
  const { log } = BlockLog.open(dir);
  logs.push(log);
  log.start(SEED);
  log.appendBatch(blocks);
  return { log, dir, path: join(dir, 'blocks.log') };
}

/** The descriptors `action` opened and did not close (whether it returned or threw). */
function leftOpen(action: () => unknown): number[] {
  const open = new Set<number>();
  faults.set('openSync', (...args) => {
    const fd = realFs.openSync!(...args) as number;
    open.add(fd);
    return fd;
  });
  faults.set('closeSync', (fd) => void open.delete(fd as number));
  try {
    action();
  } finally {
    faults.delete('openSync');
    faults.delete('closeSync');
  }
  return [...open];
}

function thrown(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(BlockLogError);
    return (error as Error).message;
  }
  throw new Error('it did not throw');
}

describe('appending when the disk fails', () => {
  it('cuts off what a failed write left, keeps the log whole, and refuses every later append', () => {
    const blocks = chain(3);
    const { log, path } = logWith(blocks.slice(0, 2));
    const before = readFileSync(path);
    // The first write call writes 10 bytes, the next one fails: a partial record is on disk.
    let writes = 0;
    faults.set('writeSync', (fd, bytes, offset) => {
      if (writes++ === 0) return partialWrite(fd, bytes, offset, 10);
      throw errno('ENOSPC');
    });
    expect(thrown(() => log.append(blocks[2]!))).toBe(
      `cannot append to ${path}: no space left on device (ENOSPC); nothing more is written to it`,
    );
    faults.clear();
    expect(readFileSync(path)).toEqual(before);
    expect(log.size).toBe(before.length);
    expect(thrown(() => log.append(blocks[2]!))).toBe(
      `${path} cannot be written: an earlier write failed: no space left on device (ENOSPC)`,
    );
    expect(thrown(() => log.start(SEED))).toBe(
      `${path} cannot be written: an earlier write failed: no space left on device (ENOSPC)`,
    );
  });

  it('says so when the partial record could not be cut off either', () => {
    const { log, path } = logWith(chain(1));
    fail('fdatasyncSync', 'EIO');
    fail('ftruncateSync', 'EIO');
    expect(thrown(() => log.append(new Block('x', chain(1)[0])))).toBe(
      `cannot append to ${path}: input/output error (EIO); nothing more is written to it`,
    );
    faults.clear();
    expect(thrown(() => log.append(new Block('y')))).toBe(
      `${path} cannot be written: an earlier write failed (input/output error (EIO)) and its partial record could not be cut off`,
    );
  });

  it('writes all of a batch however few bytes each write call takes', () => {
    const blocks = chain(4);
    const reference = logWith(blocks);
    const { log, path } = logWith([]);
    faults.set('writeSync', (fd, bytes, offset, length) =>
      partialWrite(fd, bytes, offset, Math.min(3, length as number)),
    );
    log.appendBatch(blocks);
    faults.clear();
    expect(readFileSync(path)).toEqual(readFileSync(reference.path));
    expect(log.size).toBe(readFileSync(path).length);
  });

  it('writes the header with one synced write, and an empty batch not at all', () => {
    const dir = tempDir();
    const { log } = BlockLog.open(dir);
    logs.push(log);
    calls.clear();
    log.start(SEED);
    expect(calls.get('writeSync')).toHaveLength(1);
    expect(calls.get('fdatasyncSync')).toHaveLength(1);
    calls.clear();
    log.appendBatch([]);
    expect(calls.get('writeSync')).toBeUndefined();
    expect(calls.get('fdatasyncSync')).toBeUndefined();
    expect(() => BlockLog.open(dir)).toThrow('is held by this process already');
  });
});

describe('closing what was opened', () => {
  it('check, repair, set-aside, reading a LOCK and compaction close every file they open', () => {
    const blocks = chain(4);
    const { log, dir, path } = logWith(blocks);
    expect(leftOpen(() => log.compact(blocks.slice(0, 3)))).toHaveLength(1); // the new log, open for appends
    log.close();
    logs.splice(logs.indexOf(log), 1);
    expect(leftOpen(() => checkDataDir(dir))).toEqual([]);
    writeFileSync(join(dir, 'LOCK'), '2147483000');
    expect(leftOpen(() => lockHolder(dir))).toEqual([]);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(path, bytes);
    let repair: ReturnType<typeof repairDataDir> | undefined;
    expect(leftOpen(() => (repair = repairDataDir(dir)))).toEqual([]);
    expect(repair).toMatchObject({ action: 'set-aside' });
  });
});

describe('a log in the wrong state', () => {
  it('says a header it could not write, and refuses appends after it', () => {
    const dir = tempDir();
    const { log } = BlockLog.open(dir);
    logs.push(log);
    const path = join(dir, 'blocks.log');
    fail('writeSync', 'ENOSPC');
    expect(thrown(() => log.start(SEED))).toBe(
      `cannot write the header of ${path}: no space left on device (ENOSPC); nothing more is written to it`,
    );
    faults.clear();
    expect(log.network).toBeUndefined();
    expect(readFileSync(path)).toHaveLength(0);
  });

  it('refuses to compact a log that has no network yet (a programming error)', () => {
    const dir = tempDir();
    const { log } = BlockLog.open(dir);
    logs.push(log);
    expect(() => log.compact([])).toThrow(
      new Error(`${join(dir, 'blocks.log')}: a log without a network has nothing to compact`),
    );
  });

  it('a second close() leaves alone the LOCK a later open took', () => {
    const { log, dir } = logWith(chain(1));
    log.close();
    logs.splice(logs.indexOf(log), 1);
    const again = BlockLog.open(dir);
    logs.push(again.log);
    log.close();
    expect(readFileSync(join(dir, 'LOCK'), 'latin1')).toBe(`${process.pid}\n`);
    expect(thrown(() => BlockLog.open(dir))).toBe(
      `${join(dir, 'LOCK')} is held by this process already: the log is open twice`,
    );
  });
});

/** Writes only `count` bytes of what was asked, for real. */
function partialWrite(fd: unknown, bytes: unknown, offset: unknown, count: number): number {
  const buffer = bytes as Uint8Array;
  const start = (offset as number | undefined) ?? 0;
  return realFs.writeSync!(fd, buffer, start, count) as number;
}

describe('opening when the disk fails', () => {
  it('says what failed, in one line, and leaves no LOCK behind', () => {
    const { log, dir, path } = logWith(chain(3));
    log.close();
    for (const [name, message] of [
      ['fstatSync', `cannot read ${path}: input/output error (EIO)`],
      ['readSync', `cannot read ${path}: input/output error (EIO)`],
    ] as const) {
      fail(name, 'EIO');
      expect(thrown(() => BlockLog.open(dir))).toBe(message);
      faults.clear();
      expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    }
    // The header reads, the records do not.
    let reads = 0;
    faults.set('readSync', () => {
      if (reads++ > 0) throw errno('EIO', 'read');
      return undefined;
    });
    expect(thrown(() => BlockLog.open(dir))).toBe(`cannot read ${path}: input/output error (EIO)`);
    faults.clear();
    fail('openSync', 'EACCES');
    const lockless = thrown(() => BlockLog.open(dir));
    expect(lockless).toBe(`cannot open ${path}: permission denied (EACCES)`);
    faults.clear();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    const reopened = BlockLog.open(dir);
    logs.push(reopened.log);
    expect(reopened.blocks).toHaveLength(3);
  });

  it('refuses to go on with a torn tail it cannot cut off, and closes what it opened', () => {
    const { log, dir, path } = logWith(chain(2));
    log.close();
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from([0, 0, 1])]));
    fail('ftruncateSync', 'EROFS');
    calls.clear();
    expect(thrown(() => BlockLog.open(dir))).toBe(
      `cannot cut the torn tail off ${path}: read-only file system (EROFS)`,
    );
    const opened = calls.get('openSync')!.filter((args) => args[0] === path);
    expect(opened).toHaveLength(1);
    expect(calls.get('closeSync')).toHaveLength(opened.length + 0);
    faults.clear();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    const reopened = BlockLog.open(dir);
    logs.push(reopened.log);
    expect(reopened.tornBytes).toBe(3);
  });

  it('cuts a torn tail off and syncs, and does nothing to a whole log', () => {
    const { log, dir, path } = logWith(chain(2));
    log.close();
    calls.clear();
    logs.push(BlockLog.open(dir).log);
    expect(calls.get('ftruncateSync')).toBeUndefined();
    logs.pop()!.close();
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from([0, 0, 1])]));
    calls.clear();
    logs.push(BlockLog.open(dir).log);
    expect(calls.get('ftruncateSync')).toHaveLength(1);
  });
});

describe('compacting when the disk fails', () => {
  it('leaves the old log in use, unchanged, and no temporary file, when the new one cannot be made', () => {
    const blocks = chain(4);
    const { log, dir, path } = logWith(blocks);
    const before = readFileSync(path);
    for (const name of ['renameSync', 'fdatasyncSync', 'writeSync']) {
      fail(name, 'ENOSPC');
      expect(thrown(() => log.compact(blocks.slice(0, 2)))).toBe(
        `cannot compact ${path} (it is unchanged): no space left on device (ENOSPC)`,
      );
      faults.clear();
      expect(readFileSync(path)).toEqual(before);
      expect(readdirSync(dir).sort()).toEqual(['LOCK', 'blocks.log']);
    }
    log.append(new Block('after', blocks[3]));
    expect(log.size).toBe(readFileSync(path).length);
  });

  it('fails the log when it cannot reopen the new one after the rename', () => {
    const blocks = chain(4);
    for (const name of ['openSync', 'fsyncSync']) {
      const { log, path } = logWith(blocks);
      let opens = 0;
      faults.set(name, (target) => {
        // openSync: the temporary file opens, the reopened log does not; fsyncSync: the directory sync fails.
        if (name === 'openSync' && opens++ === 0) return undefined;
        void target;
        throw errno('EIO', name);
      });
      expect(thrown(() => log.compact(blocks.slice(0, 2)))).toBe(
        `cannot reopen ${path} after compacting it: input/output error (EIO)`,
      );
      faults.clear();
      expect(thrown(() => log.append(new Block('x')))).toBe(
        `${path} cannot be written: compacting it failed after the rename: input/output error (EIO)`,
      );
      // Its descriptor is gone: close() has nothing to close, and does not try.
      calls.clear();
      log.close();
      expect(calls.get('closeSync')).toBeUndefined();
      logs.splice(logs.indexOf(log), 1);
      const reopened = BlockLog.open(join(path, '..'));
      logs.push(reopened.log);
      expect(reopened.blocks).toEqual(blocks.slice(0, 2));
    }
  });

  it('writes a large log in batches, every block of it', () => {
    const blocks = [new Block('Genesis', undefined, 1n)];
    for (let i = 1; i < 9_000; i++) blocks.push(new Block(new Uint8Array(1).fill(i % 256), blocks[i - 1], BigInt(i)));
    const { log, dir } = logWith(blocks.slice(0, 1));
    calls.clear();
    log.compact(blocks);
    expect(calls.get('writeSync')).toHaveLength(1 + 3); // the header, then batches of 4,096 records
    expect(log.size).toBe(readFileSync(join(dir, 'blocks.log')).length);
    log.close();
    logs.splice(logs.indexOf(log), 1);
    const reopened = BlockLog.open(dir);
    logs.push(reopened.log);
    expect(reopened.blocks.map((block) => block.hashHex())).toEqual(blocks.map((block) => block.hashHex()));
  });

  it('closes its file once, however often it is closed', () => {
    const { log } = logWith(chain(1));
    calls.clear();
    log.close();
    log.close();
    expect(calls.get('closeSync')).toHaveLength(1);
    logs.splice(logs.indexOf(log), 1);
  });
});

describe('the LOCK when the disk fails', () => {
  it('says it cannot lock, read or take over a LOCK, in one line', () => {
    const dir = tempDir();
    const path = join(dir, 'LOCK');
    fail('writeFileSync', 'EACCES');
    expect(thrown(() => takeLock(dir))).toBe(`cannot lock ${path}: permission denied (EACCES)`);
    faults.clear();
    // A stale LOCK to take over (its exclusive create finds it there), and the takeover fails.
    writeFileSync(path, '999999999');
    let writes = 0;
    faults.set('writeFileSync', () => {
      if (writes++ > 0) throw errno('EACCES', 'open');
      return undefined;
    });
    expect(thrown(() => takeLock(dir))).toBe(`cannot lock ${path}: permission denied (EACCES)`);
    expect(writes).toBe(2);
    faults.clear();
    expect(readFileSync(path, 'latin1')).toBe('999999999');
    // Any failure but "it exists" refuses at once: no LOCK is read.
    const file = join(dir, 'file');
    writeFileSync(file, '');
    expect(thrown(() => takeLock(file))).toBe(
      `cannot lock ${join(file, 'LOCK')}: a part of the path is a file, not a folder (ENOTDIR)`,
    );
    // Taken: the LOCK holds this process's pid and a newline.
    unlinkSync(path);
    const taken = takeLock(dir);
    expect(readFileSync(taken, 'latin1')).toBe(`${process.pid}\n`);
    releaseLock(taken);
    fail('openSync', 'EACCES');
    expect(thrown(() => lockHolder(dir))).toBe(`cannot read ${path}: permission denied (EACCES)`);
    faults.clear();
    expect(lockHolder(dir)).toBeUndefined();
    releaseLock(path);
    expect(existsSync(path)).toBe(false);
    releaseLock(path); // already gone: nothing to do
    expect(lockHolder(dir)).toBeUndefined();
  });

  it('reads a pid of 1 to 10 digits, 1 to 2^31-1, around whitespace, and nothing else', () => {
    expect(parseLockPid('1')).toBe(1);
    expect(parseLockPid(' 42\n')).toBe(42);
    expect(parseLockPid('2147483647')).toBe(2_147_483_647);
    for (const text of ['0', '2147483648', '99999999999', '', ' ', '12x', 'x12', '1 2', '-1', '+1', '1.5', '0x10'])
      expect(parseLockPid(text), text).toBeUndefined();
  });

  it('knows a live process from a gone one, and ignores its own pid and the dead in a LOCK', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2_147_483_000)).toBe(false);
    const dir = tempDir();
    for (const text of [`${process.pid}\n`, '2147483000', 'garbage']) {
      writeFileSync(join(dir, 'LOCK'), text);
      expect(lockHolder(dir)).toBeUndefined();
    }
    writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
    expect(lockHolder(dir)).toBe(process.ppid);
    // Another user's process answers EPERM: it exists.
    faults.clear();
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => {
      throw errno('EPERM', 'kill');
    });
    expect(processAlive(12_345)).toBe(true);
    kill.mockImplementation(() => {
      throw errno('ESRCH', 'kill');
    });
    expect(processAlive(12_345)).toBe(false);
    kill.mockRestore();
  });
});

describe('the data directory when the disk fails', () => {
  it('says what failed while making the directory', () => {
    const root = tempDir();
    fail('statSync', 'EACCES');
    expect(thrown(() => ensureDataDir(join(root, 'data')))).toBe(
      `cannot use ${join(root, 'data')} as the data directory: permission denied (EACCES)`,
    );
    faults.clear();
    // Another process made it between the look and the mkdir: fine if it is a folder.
    faults.set('mkdirSync', (path) => {
      realFs.mkdirSync!(path);
      throw errno('EEXIST', 'mkdir');
    });
    ensureDataDir(join(root, 'raced'));
    expect(existsSync(join(root, 'raced'))).toBe(true);
    faults.set('mkdirSync', (path) => {
      realFs.writeFileSync!(path, 'a file');
      throw errno('EEXIST', 'mkdir');
    });
    expect(thrown(() => ensureDataDir(join(root, 'raced-file')))).toBe(
      `cannot use ${join(root, 'raced-file')} as the data directory: it is a file, not a folder`,
    );
  });

  it('sets the end of a log aside only once it is safe in its own file', () => {
    const dir = tempDir();
    const path = join(dir, 'blocks.log');
    writeFileSync(path, Buffer.from('0123456789abcdef'));
    const fd = openSync(path, 'r+');
    // One damaged file per millisecond: each attempt gets its own.
    vi.useFakeTimers({ toFake: ['Date'] });
    let now = Date.parse('2026-05-01T10:20:30.123Z');
    const tick = (): void => void vi.setSystemTime((now += 1));
    vi.setSystemTime(now);
    try {
      // Each write takes 3 bytes at most: the copy is still whole.
      faults.set('writeSync', (out, bytes, offset, length) =>
        partialWrite(out, bytes, offset, Math.min(3, length as number)),
      );
      const moved = setAside(fd, dir, 6, 16);
      faults.clear();
      expect(moved).toBe(join(dir, 'blocks.log.damaged-2026-05-01T10-20-30.123Z'));
      expect(readFileSync(moved, 'latin1')).toBe('6789abcdef');
      expect(readFileSync(path, 'latin1')).toBe('012345');
      for (const [name, code, message] of [
        ['openSync', 'EACCES', 'cannot create'],
        ['fsyncSync', 'EIO', 'cannot write'],
      ] as const) {
        fail(name, code);
        tick();
        expect(thrown(() => setAside(fd, dir, 2, 6))).toMatch(new RegExp(`^${message} ${dir}/blocks\\.log\\.damaged-`));
        faults.clear();
        expect(readFileSync(path, 'latin1')).toBe('012345');
      }
      faults.set('readSync', () => 0);
      tick();
      expect(thrown(() => setAside(fd, dir, 2, 6))).toMatch(
        new RegExp(`^the log shrank while it was copied to ${dir}/blocks\\.log\\.damaged-`),
      );
      faults.clear();
      // The copy is safe, the cut fails: the message says where the bytes are.
      fail('ftruncateSync', 'EIO');
      tick();
      const cut = thrown(() => setAside(fd, dir, 4, 6));
      expect(cut).toMatch(
        new RegExp(
          `^cannot cut the log back to byte 4 \\(its end is safe in ${dir}/blocks\\.log\\.damaged-.*\\): input/output error \\(EIO\\)$`,
        ),
      );
    } finally {
      vi.useRealTimers();
      faults.clear();
      closeSync(fd);
    }
  });

  it('sets aside exactly the bytes from `from` to `size`, and cuts the log back to `from`', () => {
    const dir = tempDir();
    const path = join(dir, 'blocks.log');
    writeFileSync(path, Buffer.from('0123456789abcdefghij'));
    const fd = openSync(path, 'r+');
    try {
      const moved = setAside(fd, dir, 4, 12);
      expect(readFileSync(moved, 'latin1')).toBe('456789ab');
      expect(readFileSync(path, 'latin1')).toBe('0123');
    } finally {
      closeSync(fd);
    }
  });

  it('check and repair say what failed opening and reading the log', () => {
    const { log, dir, path } = logWith(chain(2));
    log.close();
    logs.splice(logs.indexOf(log), 1);
    fail('fstatSync', 'EIO');
    expect(thrown(() => checkDataDir(dir))).toBe(`cannot read ${path}: input/output error (EIO)`);
    faults.clear();
    let opens = 0;
    faults.set('openSync', (target) => {
      if (target === path && opens++ === 0) throw errno('EACCES', 'open');
      return undefined;
    });
    expect(thrown(() => checkDataDir(dir))).toBe(`cannot open ${path}: permission denied (EACCES)`);
    faults.clear();
    let reads = 0;
    faults.set('readSync', () => {
      if (reads++ > 0) throw errno('EIO', 'read');
      return undefined;
    });
    expect(thrown(() => checkDataDir(dir))).toBe(`cannot read ${path}: input/output error (EIO)`);
    faults.clear();
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from([0, 0, 1])]));
    fail('ftruncateSync', 'EROFS');
    expect(thrown(() => repairDataDir(dir))).toBe(
      `cannot cut the torn tail off ${path}: read-only file system (EROFS)`,
    );
    faults.clear();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    expect(repairDataDir(dir).action).toBe('cut-torn-tail');
  });
});

describe('errors in words', () => {
  it('names each common failure in plain words with its code', () => {
    const words: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EPERM: 'operation not permitted',
      ENOTDIR: 'a part of the path is a file, not a folder',
      EISDIR: 'it is a folder, not a file',
      EEXIST: 'it already exists',
      ENOSPC: 'no space left on device',
      EDQUOT: 'disk quota exceeded',
      EFBIG: 'file too large',
      EROFS: 'read-only file system',
      EIO: 'input/output error',
      EMFILE: 'too many open files',
      ENFILE: 'too many open files in the system',
      ENAMETOOLONG: 'name too long',
      ELOOP: 'too many symbolic links',
    };
    for (const [code, word] of Object.entries(words)) expect(fsReason(errno(code))).toBe(`${word} (${code})`);
    expect(fsReason(errno('EXDEV'))).toBe('EXDEV: failed, write');
    expect(fsReason(new Error('plain'))).toBe('plain');
    expect(fsReason('a string')).toBe('a string');
    expect(fsReason(Object.assign(new Error('numeric code'), { code: 5 }))).toBe('numeric code');
  });

  it('wraps a failure in a BlockLogError once, and keeps a BlockLogError as it is', () => {
    const wrapped = fsError('cannot read /d/x', errno('EIO'));
    expect(wrapped).toBeInstanceOf(BlockLogError);
    expect(wrapped.name).toBe('BlockLogError');
    expect(wrapped.message).toBe('cannot read /d/x: input/output error (EIO)');
    expect(fsError('cannot do', wrapped)).toBe(wrapped);
  });

  it('describes store errors in one line, and nothing else', () => {
    expect(describeStoreError(new BlockLogError('a\r\nb\n\nc'))).toBe('a b c');
    expect(describeStoreError(errno('EIO', 'read'))).toBe('EIO: failed, read');
    expect(describeStoreError(Object.assign(new Error('no syscall'), { code: 'EIO' }))).toBeUndefined();
    expect(describeStoreError('text')).toBeUndefined();
    // An Error with no code, and a look-alike that is no Error, are not file-system failures.
    expect(describeStoreError(Object.assign(new Error('no code'), { syscall: 'read' }))).toBeUndefined();
    expect(describeStoreError({ code: 'EIO', syscall: 'read', message: 'EIO: not an Error' })).toBeUndefined();
    expect(fsReason({ code: 'EIO' })).toBe('[object Object]');
  });
});
