import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WalletError } from '../src/wallet/errors.js';
import { MAX_PASSPHRASE_CHARS, askHidden, type TerminalInput } from '../src/wallet/prompt.js';

/** A terminal that records its raw mode and what was written, and types what a test sends. */
class FakeTerminal extends EventEmitter implements TerminalInput {
  raw: boolean[] = [];
  paused = true;
  written = '';
  /** Whether raw mode was on when each piece of text was written. */
  rawWhenWritten: boolean[] = [];
  readonly output = {
    write: (text: string) => {
      this.rawWhenWritten.push(this.raw.at(-1) ?? false);
      this.written += text;
    },
  };
  setRawMode(mode: boolean): void {
    this.raw.push(mode);
  }
  setEncoding(): void {}
  resume(): void {
    this.paused = false;
  }
  pause(): void {
    this.paused = true;
  }
  type(...chunks: string[]): void {
    for (const chunk of chunks) this.emit('data', chunk);
  }
}

async function answer(...chunks: string[]): Promise<{ typed: string; terminal: FakeTerminal }> {
  const terminal = new FakeTerminal();
  const asked = askHidden('passphrase: ', terminal, terminal.output);
  terminal.type(...chunks);
  return { typed: await asked, terminal };
}

async function refusal(terminal: FakeTerminal, act: () => void): Promise<string> {
  const asked = askHidden('passphrase: ', terminal, terminal.output);
  act();
  try {
    await asked;
  } catch (error) {
    expect(error).toBeInstanceOf(WalletError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('askHidden', () => {
  it('reads up to Enter in raw mode, echoes nothing, and restores the terminal', async () => {
    const { typed, terminal } = await answer('hun', 'ter2\r', 'after');
    expect(typed).toBe('hunter2');
    expect(terminal.written).toBe('passphrase: \n');
    expect(terminal.raw).toEqual([true, false]);
    // Echo was off before the question showed: nothing typed as soon as it appears is echoed.
    expect(terminal.rawWhenWritten).toEqual([true, false]);
    expect(terminal.paused).toBe(true);
    expect(terminal.listenerCount('data')).toBe(0);
    expect(terminal.listenerCount('end')).toBe(0);
  });

  it('Backspace removes a whole character, Ctrl-U the line; escape sequences and controls are not typed', async () => {
    expect((await answer('ab\u007fc\n')).typed).toBe('ac');
    expect((await answer('caf\u00e9\u{1f511}\b\b!\r')).typed).toBe('caf!');
    expect((await answer('wrong\u0015right\r')).typed).toBe('right');
    expect((await answer('a', '\u001b[A', 'b\tc\r')).typed).toBe('abc');
    expect((await answer('\r')).typed).toBe('');
  });

  it('Ctrl-C, Ctrl-D on an empty line and a closed terminal cancel, restoring the terminal', async () => {
    const terminal = new FakeTerminal();
    expect(await refusal(terminal, () => terminal.type('abc\u0003'))).toBe('cancelled: no passphrase given');
    expect(terminal.raw).toEqual([true, false]);
    const empty = new FakeTerminal();
    expect(await refusal(empty, () => empty.type('\u0004'))).toBe('cancelled: no passphrase given');
    const closed = new FakeTerminal();
    expect(await refusal(closed, () => closed.emit('end'))).toBe('no passphrase: the terminal closed');
    expect(closed.raw).toEqual([true, false]);
  });

  it(`holds at most ${MAX_PASSPHRASE_CHARS} characters`, async () => {
    expect((await answer('x'.repeat(MAX_PASSPHRASE_CHARS) + '\r')).typed).toHaveLength(MAX_PASSPHRASE_CHARS);
    const terminal = new FakeTerminal();
    expect(await refusal(terminal, () => terminal.type('x'.repeat(MAX_PASSPHRASE_CHARS + 1)))).toBe(
      `the passphrase is longer than ${MAX_PASSPHRASE_CHARS} characters`,
    );
  });
});
