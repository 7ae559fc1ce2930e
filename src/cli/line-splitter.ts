/**
 * Splits a byte stream into lines of bounded length, for commands that read one item per
 * line from stdin: memory stays bounded by the limit whatever the input (a 600 MB line is
 * counted and skipped, never buffered), and every line gets exactly one callback.
 *
 * Lines end at '\n'; a '\r' before it is dropped ("\r\n" input). The last line needs no
 * '\n'. A line longer than `maxBytes` (without its line ending) is reported with its length.
 */

export interface LineSink {
  /** A whole line: a view into the input, valid only during the call. */
  line(bytes: Uint8Array): void;
  /** A line of `bytes` bytes, over the limit, that was skipped. */
  tooLong(bytes: number): void;
}

export class LineSplitter {
  readonly #maxBytes: number;
  readonly #sink: LineSink;
  /** The start of a line that began in an earlier chunk (at most maxBytes + 1 bytes). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes of a line over the limit seen so far (0 when not skipping one). */
  #skipped = 0;
  #lastSkippedByte = 0;

  constructor(maxBytes: number, sink: LineSink) {
    this.#maxBytes = maxBytes;
    this.#sink = sink;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline < 0) break;
      this.#finish(chunk.subarray(start, newline));
      start = newline + 1;
    }
    if (start < chunk.length) this.#hold(chunk.subarray(start));
  }

  /** The input has ended: a last line without '\n' still counts. */
  end(): void {
    if (this.#pendingBytes > 0 || this.#skipped > 0) this.#finish(Buffer.alloc(0));
  }

  /** Ends the line whose last piece is `tail`. */
  #finish(tail: Buffer): void {
    if (this.#skipped > 0) {
      const last = tail.length > 0 ? tail[tail.length - 1] : this.#lastSkippedByte;
      this.#sink.tooLong(this.#skipped + tail.length - (last === 0x0d ? 1 : 0));
      this.#skipped = 0;
      return;
    }
    let line = tail;
    if (this.#pendingBytes > 0) {
      line = Buffer.concat([...this.#pending, tail]);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length > this.#maxBytes) this.#sink.tooLong(line.length);
    else this.#sink.line(line);
  }

  /** Keeps the start of an unfinished line, or starts skipping it once it is over the limit. */
  #hold(piece: Buffer): void {
    this.#lastSkippedByte = piece[piece.length - 1]!;
    if (this.#skipped > 0) {
      this.#skipped += piece.length;
      return;
    }
    // One byte over the limit may still be a '\r' before the '\n'.
    if (this.#pendingBytes + piece.length > this.#maxBytes + 1) {
      this.#skipped = this.#pendingBytes + piece.length;
      this.#pending = [];
      this.#pendingBytes = 0;
      return;
    }
    // Copied: the chunk it is a view of may be reused by the stream.
    this.#pending.push(Buffer.from(piece));
    this.#pendingBytes += piece.length;
  }
}
