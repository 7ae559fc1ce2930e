/**
 * Temporary directories for a test file. `useTempDirs(prefix)` registers an afterEach that
 * removes every directory made since the last test, and returns the function that makes one.
 * Call it before the file's own afterEach: after-hooks run last-registered first, so the
 * file's hook (closing logs, disarming faults) runs before the directories are removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export function useTempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
