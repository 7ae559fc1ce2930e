/**
 * Reads a server-sent event stream (text/event-stream, as events.ts writes it) from a byte
 * stream: one callback per event with its type and its data parsed as JSON. Lines and
 * events are bounded, so a misbehaving upstream cannot make the reader buffer without end.
 */

export interface SseEvent {
  type: string;
  data: unknown;
}

/** The longest event (all its lines) accepted; a longer one ends the read with an error. */
export const MAX_SSE_EVENT_BYTES = 1024 * 1024;

export class SseFormatError extends Error {
  override readonly name = 'SseFormatError';
}

/** Calls `onEvent` for each event until the stream ends (resolves) or breaks (rejects). */
export async function readSse(stream: AsyncIterable<Uint8Array>, onEvent: (event: SseEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  let type = 'message';
  let data: string[] = [];
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length > 0) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(data.join('\n'));
          } catch {
            throw new SseFormatError(`event "${type}" has data that is not JSON`);
          }
          onEvent({ type, data: parsed });
        }
        type = 'message';
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line[5] === ' ' ? 6 : 5));
      } else if (line.startsWith('event:')) {
        type = line.slice(line[6] === ' ' ? 7 : 6);
      }
      // Comments (":") and other fields (id, retry) are not needed here.
    }
    if (buffer.length + data.reduce((sum, line) => sum + line.length, 0) > MAX_SSE_EVENT_BYTES) {
      throw new SseFormatError(`an event is longer than ${MAX_SSE_EVENT_BYTES} bytes`);
    }
  }
}
