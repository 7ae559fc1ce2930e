/**
 * The `LOCK` file of a data directory (docs/block-log.md, "LOCK"): it holds the pid of the
 * process that has the directory open, so that two nodes never append to one log.
 *
 * A LOCK naming a live process other than this one refuses; a dead pid, this process's own
 * pid left by an earlier life (containers reuse small pids), or anything that is not a pid (a
 * crash while the LOCK itself was written leaves it empty) is taken over. It is advisory: it
 * stops the ordinary mistake of starting two nodes on one directory, not two starts racing
 * within the same millisecond.
 */
import { closeSync, openSync, readSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BlockLogError, fsError } from './errors.js';

export const LOCK_FILE = 'LOCK';

/** Lock files this process holds: opening one directory twice in one process is refused too. */
const heldHere = new Set<string>();

/** The pid in a LOCK's text, or undefined when it is not one. */
export function parseLockPid(text: string): number | undefined {
  const match = /^\s*(\d{1,10})\s*$/.exec(text);
  if (!match) return undefined;
  const pid = Number(match[1]);
  return pid >= 1 && pid <= 0x7fffffff ? pid : undefined;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live process, other than this one, that holds `dir`'s LOCK; undefined when none does. */
export function lockHolder(dir: string): number | undefined {
  const path = join(dir, LOCK_FILE);
  let text: string;
  try {
    text = readSmall(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(`cannot read ${path}`, error);
  }
  const pid = parseLockPid(text);
  return pid !== undefined && pid !== process.pid && processAlive(pid) ? pid : undefined;
}

/** Takes `dir`'s LOCK for this process, or throws a BlockLogError naming who holds it. Returns its path. */
export function takeLock(dir: string): string {
  const path = resolve(dir, LOCK_FILE);
  if (heldHere.has(path)) throw new BlockLogError(`${path} is held by this process already: the log is open twice`);
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(`cannot lock ${path}`, error);
    const holder = lockHolder(dir);
    if (holder !== undefined) {
      throw new BlockLogError(`${path} is held by process ${holder}: another node is using this --data-dir`);
    }
    try {
      writeFileSync(path, `${process.pid}\n`);
    } catch (takeOver) {
      throw fsError(`cannot lock ${path}`, takeOver);
    }
  }
  heldHere.add(path);
  return path;
}

export function releaseLock(path: string): void {
  heldHere.delete(path);
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to release.
  }
}

/** The first bytes of a file: a LOCK holds a pid, and anything longer is not one. */
function readSmall(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(64);
    const read = readSync(fd, bytes, 0, bytes.length, 0);
    return bytes.subarray(0, read).toString('latin1');
  } finally {
    closeSync(fd);
  }
}
