/**
 * The data directory's files and the file-system steps the store shares: creating the
 * directory (with a message for each way that fails), syncing a directory after a rename,
 * and setting the damaged end of a log aside in a file of its own (docs/block-log.md).
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { BlockLogError, fsError, fsReason } from './errors.js';

export const LOG_FILE = 'blocks.log';
/** A compaction writes here, then renames it over the log. */
export const COMPACTING_FILE = 'blocks.log.compacting';

/**
 * Makes sure `dir` is a folder, creating it and its parents if needed. Walks the path one
 * component at a time (mkdirSync's recursive mode can spin forever on a path it cannot
 * create, e.g. under /proc) so each failure says where it happened.
 */
export function ensureDataDir(dir: string): void {
  if (dir === '') throw new BlockLogError('the data directory is an empty string: give the path of a folder');
  const full = resolve(dir);
  const parts: string[] = [];
  for (let at = full; at !== parse(at).root; at = dirname(at)) parts.unshift(at);
  for (const path of parts) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw fsError(`cannot use ${dir} as the data directory`, error);
      try {
        mkdirSync(path);
        continue;
      } catch (mkdirError) {
        if ((mkdirError as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw fsError(`cannot create the data directory ${dir}`, mkdirError);
        }
        isFolder = statSync(path).isDirectory();
      }
    }
    if (!isFolder) {
      throw new BlockLogError(
        path === full
          ? `cannot use ${dir} as the data directory: it is a file, not a folder`
          : `cannot use ${dir} as the data directory: ${path} is a file, not a folder`,
      );
    }
  }
}

/** Makes a rename in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `blocks.log.damaged-2024-05-01T10-20-30.123Z` (no colons: the name is portable). */
export function damagedFileName(now: Date = new Date()): string {
  return `${LOG_FILE}.damaged-${now.toISOString().replace(/:/g, '-')}`;
}

/**
 * Copies bytes [from, size) of the log open on `fd` to a new file beside it, syncs that file
 * and the directory, and only then cuts the log back to `from`: at every moment the bytes are
 * in one file or the other. Returns the new file's path.
 */
export function setAside(fd: number, dir: string, from: number, size: number): string {
  const path = join(dir, damagedFileName());
  let out: number;
  try {
    out = openSync(path, 'wx');
  } catch (error) {
    throw fsError(`cannot create ${path}`, error);
  }
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let position = from; position < size;) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
      if (read === 0) throw new BlockLogError(`the log shrank while it was copied to ${path}`);
      for (let written = 0; written < read;) written += writeSync(out, buffer, written, read - written);
      position += read;
    }
    fsyncSync(out);
  } catch (error) {
    throw fsError(`cannot write ${path}`, error);
  } finally {
    closeSync(out);
  }
  try {
    fsyncDir(dir);
    ftruncateSync(fd, from);
    fdatasyncSync(fd);
  } catch (error) {
    throw new BlockLogError(`cannot cut the log back to byte ${from} (its end is safe in ${path}): ${fsReason(error)}`);
  }
  return path;
}
