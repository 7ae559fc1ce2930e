/** A reader of a server-sent event stream for tests: frames parsed as they arrive, with timeouts. */

export interface SseFrame {
  event: string;
  data: unknown;
}

export interface SseReader {
  /** Resolves with the next `count` events (comments skipped). */
  next(count: number, timeoutMs?: number): Promise<SseFrame[]>;
  /** Resolves once a comment line (a heartbeat) arrives. */
  comment(timeoutMs?: number): Promise<void>;
  /** Resolves once the server ends the stream. */
  ended(timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function readEvents(url: string): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  if (response.status !== 200 || !response.body) throw new Error(`event stream answered ${response.status}`);
  const frames: SseFrame[] = [];
  let comments = 0;
  let done = false;
  let wake: () => void = () => {};
  const changed = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments++;
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) frames.push({ event, data: JSON.parse(data.join('\n')) });
        }
        wake();
      }
    } catch {
      // Aborted by close().
    }
    done = true;
    wake();
  })();

  const waitFor = async (condition: () => boolean, timeoutMs: number, what: string): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([changed(), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  };
  let taken = 0;
  return {
    async next(count, timeoutMs = 5_000) {
      await waitFor(() => frames.length >= taken + count, timeoutMs, `${count} events`);
      taken += count;
      return frames.slice(taken - count, taken);
    },
    async comment(timeoutMs = 5_000) {
      const seen = comments;
      await waitFor(() => comments > seen, timeoutMs, 'comment');
    },
    async ended(timeoutMs = 5_000) {
      await waitFor(() => done, timeoutMs, 'end of stream');
    },
    close() {
      controller.abort();
    },
  };
}
