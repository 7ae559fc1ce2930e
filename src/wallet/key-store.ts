/**
 * The key file on disk (docs/wallet.md): read it with its size checked before reading, and
 * write a new one atomically (a temporary file, then a hard link to the final name, which
 * fails rather than replaces when a wallet is already there), in a folder of mode 0700 and
 * with mode 0600. Failures are WalletErrors with one line to print.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
  fchmodSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { WalletError, oneLine } from './errors.js';
import { MAX_KEY_FILE_BYTES, formatKeyFile, parseKeyFile, type KeyFile } from './key-file.js';

export const KEY_FILE_MODE = 0o600;
export const WALLET_DIR_MODE = 0o700;

/** `~/.powchain/wallet.json` under the given home folder. */
export function defaultWalletPath(home: string): string {
  return join(home, '.powchain', 'wallet.json');
}

function systemReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return oneLine(error instanceof Error ? error.message : String(error));
  }
}

/** Reads and parses a key file; refuses a missing, oversized or malformed one in one line. */
export function readKeyFile(path: string): KeyFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new WalletError(`no wallet at ${path} (create one with \`powchain wallet new\`)`);
    }
    throw new WalletError(`cannot read the wallet ${path}: ${systemReason(error)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new WalletError(`cannot read the wallet ${path}: it is not a file`);
    // Checked before reading: a huge file named by mistake is refused without being loaded.
    if (stat.size > MAX_KEY_FILE_BYTES) {
      throw new WalletError(
        `${path} is not a powchain wallet: it is ${stat.size} bytes, a key file is at most ${MAX_KEY_FILE_BYTES}`,
      );
    }
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    // One byte more than allowed, so a file that grew since fstat is refused by its length.
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    const parsed = parseKeyFile(buffer.subarray(0, length).toString('utf8'));
    if (!parsed.ok) throw new WalletError(`${path} is not a powchain wallet: ${parsed.reason}`);
    return parsed.value;
  } catch (error) {
    if (error instanceof WalletError) throw error;
    throw new WalletError(`cannot read the wallet ${path}: ${systemReason(error)}`);
  } finally {
    closeSync(fd);
  }
}

/** Refuses early (before a passphrase is asked) when `path` holds a wallet already. */
export function checkNoWalletAt(path: string): void {
  if (existsSync(path)) throw new WalletError(`${path} exists already; a wallet is never overwritten`);
}

/**
 * Writes a new key file at `path`, creating its folder (mode 0700) when needed. Never replaces
 * an existing file: the final name is made with link(2), which fails when the name is taken,
 * even when another process takes it at the same moment.
 */
export function writeNewKeyFile(path: string, file: KeyFile): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: WALLET_DIR_MODE });
  } catch (error) {
    throw new WalletError(`cannot create the folder ${dir}: ${systemReason(error)}`);
  }
  checkNoWalletAt(path);
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(temporary, 'wx', KEY_FILE_MODE);
    try {
      // openSync's mode passes through the umask; the key file is exactly 0600 whatever it is.
      fchmodSync(fd, KEY_FILE_MODE);
      const bytes = Buffer.from(formatKeyFile(file), 'utf8');
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    publish(temporary, path);
    syncFolder(dir);
  } catch (error) {
    if (error instanceof WalletError) throw error;
    throw new WalletError(`cannot write the wallet ${path}: ${systemReason(error)}`);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Gives the written file its final name, refusing to replace one. */
function publish(temporary: string, path: string): void {
  try {
    linkSync(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new WalletError(`${path} exists already; a wallet is never overwritten`);
    // A file system without hard links (some network and FAT ones): a plain rename, after
    // one more look, is the best it allows.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
    checkNoWalletAt(path);
    renameSync(temporary, path);
  }
}

/** So that the new name survives a crash (not possible on every platform: best effort). */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some systems cannot open or sync a folder; the file itself was synced.
  }
}
