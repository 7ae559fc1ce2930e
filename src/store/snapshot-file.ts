/**
 * The chain-state snapshot of a data directory (docs/block-log.md "Chain state"): one file,
 * `chainstate.snapshot`, holding the ledger codec's bytes (docs/ledger.md "Snapshot"),
 * replaced crash-safely: written beside it, synced, renamed over it, the directory synced.
 * A crash at any moment leaves the old snapshot or the new one; a snapshot that does not
 * decode (or names a block the log does not hold) is ignored and the state replayed from the
 * genesis, so a lost snapshot costs time, never correctness.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from './data-dir.js';
import { fsError } from './errors.js';

export const SNAPSHOT_FILE = 'chainstate.snapshot';
const WRITING_FILE = 'chainstate.snapshot.writing';

/** Replaces the directory's snapshot with `bytes`, crash-safely. Throws a one-line BlockLogError. */
export function writeSnapshotFile(dir: string, bytes: Uint8Array): void {
  const writing = join(dir, WRITING_FILE);
  const path = join(dir, SNAPSHOT_FILE);
  try {
    const fd = openSync(writing, 'w', 0o600);
    try {
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(writing, path);
    fsyncDir(dir);
  } catch (error) {
    rmSync(writing, { force: true });
    throw fsError(`cannot write the chain-state snapshot ${path}`, error);
  }
}

/** The directory's snapshot, or undefined when it has none (a half-written one is removed). */
export function readSnapshotFile(dir: string): Uint8Array | undefined {
  rmSync(join(dir, WRITING_FILE), { force: true });
  const path = join(dir, SNAPSHOT_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw fsError(`cannot read the chain-state snapshot ${path}`, error);
  }
}
