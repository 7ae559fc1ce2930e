/**
 * Fuzzing the HTTP API: whatever the path, query string, method and body, the server answers
 * below 500, and every refusal is JSON `{"error": reason}`.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { FakeSource } from '../src/api/fake-source.js';
import { createApiServer } from '../src/api/server.js';

const ROUTES = [
  '/api/status',
  '/api/blocks',
  '/api/blocks/',
  '/api/tree',
  '/api/tx/',
  '/api/tx',
  '/api/address/',
  '/api/mempool',
  '/api/peers',
  '/api/refusals',
  '/assets/',
  '/',
  '/api/',
];
const KEYS = ['limit', 'before', 'since', 'tx', 'x', '__proto__', 'constructor', ''];
const RAW = 'abcfgpqz0123456789-+.eE%/?&=#;:@ \t~[]{}"\'\\<>|^`';

const rawText = fc.string({ unit: fc.constantFrom(...RAW), maxLength: 40 });
const anyText = fc.oneof(rawText, fc.string({ unit: 'binary', maxLength: 40 }).map(encodeURIComponent));
const number = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).map(String),
  fc.double().map(String),
  fc.constantFrom('0', '1', '100', '101', '2147483647', '2147483648', '1e3', '0x10', ' 5', '-0', 'NaN', 'Infinity'),
);
const hex = fc
  .integer({ min: 0, max: 130 })
  .chain((length) =>
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length }),
  );
const segment = fc.oneof(hex, anyText, fc.constant('pow1qpzry9x8gf2tvdw0s3jn54khce6mua7l'));
const query = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), anyText), fc.oneof(number, anyText, hex)), { maxLength: 4 })
  .map((pairs) => (pairs.length ? '?' + pairs.map(([key, value]) => `${key}=${value}`).join('&') : ''));
const body = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.record({ tx: fc.oneof(hex, anyText, fc.integer().map(String)) }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
);
const request: fc.Arbitrary<InjectOptions> = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'),
  url: fc
    .tuple(fc.constantFrom(...ROUTES), segment, query)
    // The event stream never ends, so it is left out here (test/api.test.ts covers it).
    .map(([route, tail, search]) => (route + tail === '/api/events' ? '/api/event' : route + tail) + search),
  payload: fc.option(body, { nil: undefined }),
  headers: fc.record({
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/octet-stream',
      'multipart/form-data',
      '',
    ),
  }),
});

describe('the API under fuzzed requests', () => {
  let app: FastifyInstance;
  const unexpected: Error[] = [];

  beforeAll(async () => {
    const source = new FakeSource({ transactions: true });
    source.extend(30);
    source.mine(source.mainAt(25)!, { miner: 'fork' });
    app = await createApiServer({
      source,
      rateLimit: false,
      webRoot: new URL('./fixtures/web-root/', import.meta.url).pathname,
      onError: (error) => unexpected.push(error),
    });
  });
  afterAll(async () => {
    await app.close();
  });

  /**
   * The server's answer: through app.inject, or, for a request-target that inject cannot
   * parse as a URL (such as `/\\`, which a client on the wire can still send), over a real
   * connection to 127.0.0.1.
   */
  async function answer(options: InjectOptions): Promise<{ statusCode: number; body: string }> {
    const url = String(options.url);
    if (URL.canParse(url, 'http://localhost')) {
      const response = await app.inject(options);
      return { statusCode: response.statusCode, body: response.body };
    }
    if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const payload = options.payload === undefined ? undefined : String(options.payload);
    return new Promise((resolve, reject) => {
      const sent = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: options.method,
          // Node's client refuses a raw space or tab in a request-target: those go percent-encoded.
          path: url.replace(/ /g, '%20').replace(/\t/g, '%09'),
          headers: options.headers as Record<string, string>,
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ statusCode: response.statusCode!, body }));
        },
      );
      sent.on('error', reject);
      sent.end(payload);
    });
  }

  it('never answers 5xx and always refuses with a JSON reason', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (options) => {
        const response = await answer(options);
        expect(response.statusCode, `${options.method} ${options.url}`).toBeLessThan(500);
        if (response.statusCode >= 400 && options.method !== 'HEAD') {
          const parsed = JSON.parse(response.body) as { error?: unknown };
          expect(typeof parsed.error).toBe('string');
        }
      }),
      { numRuns: 600 },
    );
    expect(unexpected).toEqual([]);
  });

  it('refuses a request-target that is no URL (a backslash after the slash) with a JSON reason, on the wire', async () => {
    for (const url of ['/\\', '/\\api/status', '/api/blocks/\\']) {
      const response = await answer({ method: 'GET', url });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, url).toBeLessThan(500);
      expect(typeof (JSON.parse(response.body) as { error?: unknown }).error).toBe('string');
    }
    expect(app.server.listening).toBe(true);
    expect(unexpected).toEqual([]);
  });
});
