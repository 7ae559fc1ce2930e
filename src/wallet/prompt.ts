/**
 * Asking for a passphrase on a terminal without echoing it: the terminal goes into raw mode
 * for the answer, keys are read one by one (Backspace and Ctrl-U edit, Enter ends, Ctrl-C and
 * Ctrl-D cancel), and it is restored whatever happens. The streams are given by the caller
 * (the CLI passes process.stdin and process.stderr), so this can be tested without a terminal.
 */
import { WalletError } from './errors.js';

/** Characters of a typed passphrase, at most: the answer is held in memory as it comes. */
export const MAX_PASSPHRASE_CHARS = 1_024;

/** What the prompt needs of a terminal's input: process.stdin when it is a TTY. */
export interface TerminalInput {
  setRawMode(mode: boolean): unknown;
  setEncoding(encoding: 'utf8'): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end' | 'error', listener: (error?: Error) => void): unknown;
  removeListener(event: 'data', listener: (chunk: string) => void): unknown;
  removeListener(event: 'end' | 'error', listener: (error?: Error) => void): unknown;
}

export interface TerminalOutput {
  write(text: string): unknown;
}

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const ESCAPE = '\u001b';
const BACKSPACE = new Set(['\u007f', '\b']);

/** Writes `question`, reads one line without echo, and answers it; cancelling is a WalletError. */
export function askHidden(question: string, input: TerminalInput, output: TerminalOutput): Promise<string> {
  return new Promise((resolve, reject) => {
    // Code points, not UTF-16 units, so that Backspace removes a whole character.
    let typed: string[] = [];
    const finish = (error?: WalletError): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onEnd);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(typed.join(''));
    };
    const onEnd = (): void => finish(new WalletError('no passphrase: the terminal closed'));
    const onData = (chunk: string): void => {
      for (const key of chunk) {
        if (ENTER.has(key)) return finish();
        if (key === CTRL_C || (key === CTRL_D && typed.length === 0)) {
          return finish(new WalletError('cancelled: no passphrase given'));
        }
        // An escape sequence (an arrow or function key) arrives in one chunk: drop the rest of it.
        if (key === ESCAPE) return;
        if (BACKSPACE.has(key)) typed.pop();
        else if (key === CTRL_U) typed = [];
        // Other control characters are not part of a passphrase.
        else if (key >= ' ' && key !== '\u007f') {
          if (typed.length === MAX_PASSPHRASE_CHARS) {
            return finish(new WalletError(`the passphrase is longer than ${MAX_PASSPHRASE_CHARS} characters`));
          }
          typed.push(key);
        }
      }
    };
    // Echo goes off before the question shows: what is typed as soon as it appears is not echoed.
    input.setEncoding('utf8');
    input.setRawMode(true);
    output.write(question);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onEnd);
    input.resume();
  });
}
