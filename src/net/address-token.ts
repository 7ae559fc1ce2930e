/**
 * Address validation tokens (docs/protocol.md "Address validation"), as QUIC validates a
 * client's address (RFC 9000 section 8.1): a node puts `token` = HMAC(secret, "host:port")
 * in the extended messages it sends to an address, and a peer that echoes the token back
 * has shown that it receives datagrams at that address. Until then the node sends it at
 * most three times the bytes it received from it, so a spoofed source address cannot turn
 * the node into an amplifier. Stateless: nothing is stored per address, and the secret is
 * new with every process.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Hex digits of a token: 128 bits. */
export const TOKEN_HEX_CHARS = 32;

export class AddressTokens {
  readonly #secret: Buffer;

  constructor(secret: Uint8Array = randomBytes(32)) {
    this.#secret = Buffer.from(secret);
  }

  /** The token for the peer at `key` (its host:port). */
  tokenFor(key: string): string {
    return createHmac('sha256', this.#secret).update(key).digest('hex').slice(0, TOKEN_HEX_CHARS);
  }

  /** True when `echo` is the token this node gives `key`. */
  verify(key: string, echo: string): boolean {
    if (echo.length !== TOKEN_HEX_CHARS) return false;
    return timingSafeEqual(Buffer.from(this.tokenFor(key)), Buffer.from(echo.toLowerCase()));
  }
}
