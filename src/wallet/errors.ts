/**
 * How the wallet says no: a WalletError carries one line a person can act on (the CLI prints
 * it as `powchain: <message>`), and `oneLine` makes text from outside (a node's reason, a
 * file name) safe to put in such a line. docs/wallet.md lists the messages.
 */

/** A refusal or failure the user can act on; its message is one line. Anything else is a bug. */
export class WalletError extends Error {
  override readonly name = 'WalletError';
}

/** Verdicts of the wallet's checks: the value, or a reason. */
export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: string };

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: anything that
// could break the line or steer the terminal.
const LINE_BREAKERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** `text` on one line, control characters made spaces, cut to `maxChars` (a node's reason may be anything). */
export function oneLine(text: string, maxChars = 300): string {
  const flat = text.replace(LINE_BREAKERS, ' ').trim();
  return flat.length > maxChars ? flat.slice(0, maxChars) + '…' : flat;
}
