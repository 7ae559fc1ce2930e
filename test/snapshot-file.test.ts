/**
 * The chain-state snapshot file of a data directory (docs/block-log.md "Chain state"): written
 * whole or not at all, replaced in one rename, a half-written one removed when read, and every
 * file-system failure one line naming the file.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from './helpers/temp-dirs.js';
import { BlockLogError } from '../src/store/errors.js';
import { SNAPSHOT_FILE, readSnapshotFile, writeSnapshotFile } from '../src/store/snapshot-file.js';

const tempDir = useTempDirs('powchain-snapshot-');

/** The files this process holds open under `dir` (Linux: /proc/self/fd). */
function openUnder(dir: string): string[] {
  const real = realpathSync(dir);
  const paths: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      paths.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // Closed since the listing (the listing's own descriptor, for one).
    }
  }
  return paths.filter((path) => path.startsWith(real));
}

describe('the chain-state snapshot file', () => {
  it('reads back what was written, and a second write replaces the first whole', () => {
    const dir = tempDir();
    expect(readSnapshotFile(dir)).toBeUndefined();
    const first = new Uint8Array(100_000).map((_, i) => i & 0xff);
    writeSnapshotFile(dir, first);
    expect(readSnapshotFile(dir)).toEqual(first);
    writeSnapshotFile(dir, new Uint8Array([7, 8, 9]));
    expect(readSnapshotFile(dir)).toEqual(new Uint8Array([7, 8, 9]));
    // Only the snapshot is left, readable by its owner alone.
    expect(readdirSync(dir)).toEqual([SNAPSHOT_FILE]);
    expect(statSync(join(dir, SNAPSHOT_FILE)).mode & 0o777).toBe(0o600);
    writeSnapshotFile(dir, new Uint8Array(0));
    expect(readSnapshotFile(dir)).toEqual(new Uint8Array(0));
    // Nothing left open either.
    expect(openUnder(dir)).toEqual([]);
  });

  it('removes a half-written snapshot when read, and keeps the last whole one', () => {
    const dir = tempDir();
    writeSnapshotFile(dir, new Uint8Array([1, 2, 3]));
    // A crash between the write and the rename leaves the new bytes beside the old snapshot.
    writeFileSync(join(dir, 'chainstate.snapshot.writing'), new Uint8Array([9, 9]));
    expect(readSnapshotFile(dir)).toEqual(new Uint8Array([1, 2, 3]));
    expect(readdirSync(dir)).toEqual([SNAPSHOT_FILE]);
    // And without any snapshot yet: nothing, and the leftover gone too.
    const fresh = tempDir();
    writeFileSync(join(fresh, 'chainstate.snapshot.writing'), new Uint8Array([9]));
    expect(readSnapshotFile(fresh)).toBeUndefined();
    expect(readdirSync(fresh)).toEqual([]);
  });

  it('says in one line which file it could not write or read, and why, leaving nothing half-written', () => {
    const dir = tempDir();
    const missing = join(dir, 'gone');
    expect(() => writeSnapshotFile(missing, new Uint8Array([1]))).toThrow(
      new BlockLogError(
        `cannot write the chain-state snapshot ${join(missing, SNAPSHOT_FILE)}: no such file or directory (ENOENT)`,
      ),
    );
    // The rename fails when the snapshot's name is a folder: the written bytes are removed.
    const blocked = tempDir();
    mkdirSync(join(blocked, SNAPSHOT_FILE));
    writeFileSync(join(blocked, SNAPSHOT_FILE, 'inside'), 'x');
    expect(() => writeSnapshotFile(blocked, new Uint8Array([1]))).toThrow(BlockLogError);
    expect(existsSync(join(blocked, 'chainstate.snapshot.writing'))).toBe(false);
    expect(readFileSync(join(blocked, SNAPSHOT_FILE, 'inside'), 'utf8')).toBe('x');
    expect(() => readSnapshotFile(blocked)).toThrow(
      new BlockLogError(
        `cannot read the chain-state snapshot ${join(blocked, SNAPSHOT_FILE)}: it is a folder, not a file (EISDIR)`,
      ),
    );
  });
});
