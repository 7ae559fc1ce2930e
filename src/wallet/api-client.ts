/**
 * The wallet's client of a node's HTTP API (docs/api.md, docs/wallet.md): status, an
 * address's coins and history, and submitting a transaction. Every request has a timeout,
 * every answer a size limit checked while it arrives, and every answer is validated
 * (api-answers.ts) before the wallet uses it. Failures are WalletErrors with one line: the
 * node is unreachable or slow, it refused (with its reason), or it sent a malformed answer.
 */
import { bytesToHex } from '../primitives/bytes.js';
import { quote } from '../primitives/quote.js';
import {
  checkAddressAnswer,
  checkStatusAnswer,
  checkSubmitAnswer,
  errorReason,
  type AddressAnswer,
  type StatusAnswer,
} from './api-answers.js';
import { WalletError, oneLine, type Verdict } from './errors.js';

export const DEFAULT_NODE_URL = 'http://127.0.0.1:5000';
/** A node answers in milliseconds; 10 s covers a busy one (its own request timeout is 10 s too). */
export const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * The largest answer read. An address answer lists every coin and history entry of the
 * address (about 150 bytes each), so 16 MiB is about 100,000 of them.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface NodeClientOptions {
  timeoutMs?: number;
  maxAnswerBytes?: number;
}

/**
 * Parses `--node`: an http(s) URL with no query or fragment, or `host:port` (a node's --api
 * address) for `http://host:port`; refuses anything else in one line.
 */
export function parseNodeUrl(text: string): Verdict<URL> {
  const trimmed = text.trim();
  let url: URL;
  try {
    url = new URL(trimmed.includes('://') ? trimmed : `http://${trimmed}`);
  } catch {
    return {
      ok: false,
      reason: `node URL ${quote(trimmed)} is not a URL (like ${DEFAULT_NODE_URL})`,
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `node URL must start with http:// or https://, got ${url.protocol}` };
  }
  if (url.search !== '' || url.hash !== '') return { ok: false, reason: 'node URL must not have a query or fragment' };
  // fetch refuses such URLs, and the API has no authentication to give them to.
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'node URL must not hold a user name or password' };
  }
  // The API lives under <url>/api/: a base path (a node behind a proxy) is kept.
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return { ok: true, value: url };
}

/** How a request went wrong at the transport level, in words. */
function transportReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the node running, with its API on?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    default: {
      const message = typeof cause?.message === 'string' ? cause.message : (error as Error | undefined)?.message;
      return oneLine(String(message ?? error), 160);
    }
  }
}

/**
 * The node could not be asked or did not answer in full (unreachable, too slow, an oversized
 * answer): unlike a refusal, a transaction sent may or may not have reached it.
 */
export class NodeTransportError extends WalletError {}

export class NodeClient {
  readonly #base: URL;
  readonly #timeoutMs: number;
  readonly #maxAnswerBytes: number;

  constructor(base: URL, options: NodeClientOptions = {}) {
    this.#base = base;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxAnswerBytes = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  }

  /** The node's URL as printed: no user name or password. */
  get name(): string {
    return this.#base.origin + this.#base.pathname.replace(/\/$/, '');
  }

  async status(): Promise<StatusAnswer> {
    return this.#validated('GET', 'api/status', undefined, checkStatusAnswer);
  }

  /** The coins and history of `address` (lower case, already decoded once by the caller). */
  async address(address: string): Promise<AddressAnswer> {
    return this.#validated('GET', `api/address/${encodeURIComponent(address)}`, undefined, (json) =>
      checkAddressAnswer(json, address),
    );
  }

  /** Submits a signed transaction's encoding; answers the txid the node reports. */
  async submit(encoded: Uint8Array): Promise<string> {
    const answer = await this.#validated('POST', 'api/tx', { tx: bytesToHex(encoded) }, checkSubmitAnswer);
    return answer.txid;
  }

  async #validated<T>(
    method: 'GET' | 'POST',
    path: string,
    body: object | undefined,
    validate: (json: unknown) => Verdict<T>,
  ): Promise<T> {
    const { status, json } = await this.#request(method, path, body);
    const what = `${method} /${path}`;
    if (status !== 200) throw new WalletError(this.#refusal(status, json, method));
    const verdict = validate(json);
    if (!verdict.ok)
      throw new WalletError(`the node at ${this.name} sent a malformed answer to ${what}: ${verdict.reason}`);
    return verdict.value;
  }

  #refusal(status: number, json: unknown, method: 'GET' | 'POST'): string {
    const reason = errorReason(json);
    if (status === 501) {
      return `the node at ${this.name} runs a network without transactions (a seed network)${reason ? `: ${reason}` : ''}`;
    }
    if (status === 400 && method === 'POST' && reason) return `the node refused the transaction: ${reason}`;
    return `the node at ${this.name} answered HTTP ${status}: ${reason ?? 'no reason given'}`;
  }

  async #request(method: string, path: string, body: object | undefined): Promise<{ status: number; json: unknown }> {
    const url = new URL(path, this.#base);
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal,
        // A node never redirects; following one could send a transaction somewhere else.
        redirect: 'manual',
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw this.#transportError(error, signal);
    }
    let text: string;
    try {
      text = await this.#readCapped(response);
    } catch (error) {
      if (error instanceof WalletError) throw error;
      throw this.#transportError(error, signal);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: fine for an error status (the reason is then unknown), malformed for a 200.
      json = undefined;
    }
    if (response.status === 200 && json === undefined) {
      throw new WalletError(`the node at ${this.name} sent a malformed answer to ${method} /${path}: it is not JSON`);
    }
    return { status: response.status, json };
  }

  #transportError(error: unknown, signal: AbortSignal): NodeTransportError {
    if (signal.aborted) {
      return new NodeTransportError(`the node at ${this.name} did not answer within ${this.#timeoutMs / 1000} s`);
    }
    return new NodeTransportError(`cannot reach the node at ${this.name}: ${transportReason(error)}`);
  }

  /** The body as text, refused as soon as it passes the limit (a node cannot make the wallet hold more). */
  async #readCapped(response: Response): Promise<string> {
    const tooLarge = (): NodeTransportError =>
      new NodeTransportError(`the node at ${this.name} sent an answer larger than ${this.#maxAnswerBytes} bytes`);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > this.#maxAnswerBytes) {
      await response.body?.cancel();
      throw tooLarge();
    }
    if (response.body === null) return '';
    const chunks: Uint8Array[] = [];
    let length = 0;
    // Leaving the loop early cancels the stream: the rest is never downloaded.
    for await (const chunk of response.body) {
      length += chunk.length;
      if (length > this.#maxAnswerBytes) break;
      chunks.push(chunk);
    }
    if (length > this.#maxAnswerBytes) throw tooLarge();
    return Buffer.concat(chunks).toString('utf8');
  }
}
