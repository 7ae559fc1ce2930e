/**
 * The store's one error type and the words for file-system failures: every problem with a
 * data directory reaches the command line as ONE line (`powchain: <message>`), never as a
 * stack trace (docs/block-log.md, "Errors").
 */

/** A data directory or block log that cannot be used, with a one-line message saying why. */
export class BlockLogError extends Error {
  override readonly name = 'BlockLogError';
}

const PLAIN_WORDS: Record<string, string> = {
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

function isErrnoError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** What went wrong in a file-system call, in words, with its code: "no space left on device (ENOSPC)". */
export function fsReason(error: unknown): string {
  if (!isErrnoError(error)) return error instanceof Error ? error.message : String(error);
  const code = error.code!;
  const words = PLAIN_WORDS[code];
  return words === undefined ? error.message : `${words} (${code})`;
}

/** Wraps a file-system failure of `doing` ("cannot read /d/blocks.log") in a BlockLogError. */
export function fsError(doing: string, error: unknown): BlockLogError {
  if (error instanceof BlockLogError) return error;
  return new BlockLogError(`${doing}: ${fsReason(error)}`);
}

/**
 * The one-line message for an error from the store (a BlockLogError, or a file-system error
 * that escaped one); undefined for anything else, which is a bug and should keep its stack.
 */
export function describeStoreError(error: unknown): string | undefined {
  if (error instanceof BlockLogError) return oneLine(error.message);
  if (isErrnoError(error) && typeof error.syscall === 'string') return oneLine(error.message);
  return undefined;
}

// Paths come from users and may hold anything, line breaks included.
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
