import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AddressError,
  DEFAULT_PORT,
  formatAddress,
  isOwnAddress,
  parseAddress,
  parseAddressList,
  sameAddress,
  uniqueAddresses,
} from '../src/net/address.js';
import { AddressTokens, TOKEN_HEX_CHARS } from '../src/net/address-token.js';

/** The refusal parseAddress throws for `text`, or 'accepted'. */
function refusal(text: string, options: { allowAnyPort?: boolean } = {}): string {
  try {
    parseAddress(text, options);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(AddressError);
    expect((error as Error).name).toBe('AddressError');
    return (error as Error).message;
  }
}

const label63 = 'a'.repeat(63);

describe('parseAddress', () => {
  it('reads host:port, and a host alone as port 5000, around surrounding whitespace', () => {
    expect(DEFAULT_PORT).toBe(5000);
    expect(parseAddress('127.0.0.1:5001')).toEqual({ host: '127.0.0.1', port: 5001 });
    expect(parseAddress('  node-1.example:7 ')).toEqual({ host: 'node-1.example', port: 7 });
    expect(parseAddress('localhost')).toEqual({ host: 'localhost', port: 5000 });
    expect(parseAddress('10.0.0.1:05000')).toEqual({ host: '10.0.0.1', port: 5000 });
  });

  it('takes ports 1 and 65535, refuses 0 (unless any port is allowed) and 65536 with the range reason', () => {
    expect(parseAddress('h:1').port).toBe(1);
    expect(parseAddress('h:65535').port).toBe(65_535);
    expect(refusal('h:0')).toBe('address "h:0": port must be between 1 and 65535, got 0');
    expect(parseAddress('h:0', { allowAnyPort: true }).port).toBe(0);
    expect(refusal('h:65536')).toBe('address "h:65536": port must be between 1 and 65535, got 65536');
    expect(refusal('h:65536', { allowAnyPort: true })).toBe(
      'address "h:65536": port must be between 0 and 65535, got 65536',
    );
  });

  it('refuses a port that is not 1 to 5 digits', () => {
    for (const port of ['', 'x', '-1', '+1', '1.5', '123456', ' 1', '0x10']) {
      expect(refusal(`h:${port}`)).toBe(
        `address ${JSON.stringify(`h:${port}`)}: port ${JSON.stringify(port)} is not a number`,
      );
    }
  });

  it('refuses an address without a host', () => {
    for (const text of ['', '   ', ':5000']) {
      expect(refusal(text)).toBe(`address ${JSON.stringify(text)} has no host (expected host:port)`);
    }
  });

  it('takes IPv4 addresses and host names of up to 253 characters in labels of up to 63', () => {
    const name253 = [label63, label63, label63, 'a'.repeat(61)].join('.');
    expect(name253).toHaveLength(253);
    for (const host of ['1.2.3.4', 'a', 'A-1', '0a', label63, `${label63}.${label63}`, name253, 'x.y-z.example']) {
      expect(parseAddress(`${host}:9`)).toEqual({ host, port: 9 });
    }
  });

  it('refuses any other host with its reason, quoting it', () => {
    const name254 = [label63, label63, label63, 'a'.repeat(62)].join('.');
    for (const host of [name254, 'a'.repeat(64), '-a', 'a-', 'a..b', '.a', 'a.', 'a_b', '::1', '[::1]', 'a b', 'é']) {
      const text = `${host}:9`;
      const quotedHost = JSON.stringify(host.length > 64 ? host.slice(0, 64) + '…' : host);
      const quotedText = JSON.stringify(text.length > 64 ? text.slice(0, 64) + '…' : text);
      expect(refusal(text)).toBe(`address ${quotedText}: ${quotedHost} is not an IPv4 address or a host name`);
    }
  });
});

describe('address lists, formatting and comparison', () => {
  it("reads the seed's comma-separated list, skipping empty items", () => {
    expect(parseAddressList('a:1, b ,,c:3,')).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 5000 },
      { host: 'c', port: 3 },
    ]);
    expect(parseAddressList('')).toEqual([]);
    expect(parseAddressList(' , ')).toEqual([]);
    expect(() => parseAddressList('a:1,b:0')).toThrow('address "b:0": port must be between 1 and 65535, got 0');
  });

  it('writes host:port, and compares host and port', () => {
    expect(formatAddress({ host: '10.0.0.1', port: 80 })).toBe('10.0.0.1:80');
    expect(sameAddress({ host: 'a', port: 1 }, { host: 'a', port: 1 })).toBe(true);
    expect(sameAddress({ host: 'a', port: 1 }, { host: 'a', port: 2 })).toBe(false);
    expect(sameAddress({ host: 'a', port: 1 }, { host: 'b', port: 1 })).toBe(false);
  });

  it('drops repeated addresses, keeping the first of each, in order', () => {
    const a = { host: 'a', port: 1 };
    expect(uniqueAddresses([a, { host: 'a', port: 2 }, { ...a }, { host: 'b', port: 1 }])).toEqual([
      a,
      { host: 'a', port: 2 },
      { host: 'b', port: 1 },
    ]);
    expect(uniqueAddresses([])).toEqual([]);
  });
});

describe('isOwnAddress', () => {
  const local = new Set(['10.1.2.3']);
  const at = (host: string, port = 5000) => ({ host, port });

  it('is the same host and port, whatever the host', () => {
    expect(isOwnAddress(at('node.example'), at('node.example'))).toBe(true);
    expect(isOwnAddress(at('node.example', 5001), at('node.example'))).toBe(false);
    expect(isOwnAddress(at('10.0.0.2'), at('10.0.0.1'))).toBe(false);
  });

  it('treats the wildcard 0.0.0.0 as any address of this machine: loopback 127.*, itself, the local hosts', () => {
    for (const [wildcard, other] of [
      [at('0.0.0.0'), at('127.0.0.1')],
      [at('0.0.0.0'), at('127.255.0.9')],
      [at('0.0.0.0'), at('10.1.2.3')],
      [at('0.0.0.0'), at('0.0.0.0')],
    ] as const) {
      expect(isOwnAddress(other, wildcard, local)).toBe(true);
      expect(isOwnAddress(wildcard, other, local)).toBe(true);
    }
    for (const other of [at('10.1.2.4'), at('128.0.0.1'), at('1.127.0.0'), at('localhost')]) {
      expect(isOwnAddress(other, at('0.0.0.0'), local)).toBe(false);
      expect(isOwnAddress(at('0.0.0.0'), other, local)).toBe(false);
    }
    expect(isOwnAddress(at('10.1.2.3'), at('0.0.0.0'))).toBe(false);
    expect(isOwnAddress(at('127.0.0.1', 5001), at('0.0.0.0'), local)).toBe(false);
  });

  it('never matches two different specific addresses, even of this machine', () => {
    expect(isOwnAddress(at('127.0.0.1'), at('127.0.0.2'), local)).toBe(false);
    expect(isOwnAddress(at('127.0.0.1'), at('10.1.2.3'), local)).toBe(false);
  });
});

describe('AddressTokens', () => {
  const secret = new Uint8Array(32).fill(7);

  it('gives each host:port the first 128 bits of HMAC-SHA256(secret, host:port), in hex', () => {
    const tokens = new AddressTokens(secret);
    const expected = createHmac('sha256', Buffer.from(secret)).update('127.0.0.1:5001').digest('hex').slice(0, 32);
    expect(TOKEN_HEX_CHARS).toBe(32);
    expect(tokens.tokenFor('127.0.0.1:5001')).toBe(expected);
    expect(tokens.tokenFor('127.0.0.1:5002')).not.toBe(expected);
    expect(new AddressTokens(new Uint8Array(32).fill(8)).tokenFor('127.0.0.1:5001')).not.toBe(expected);
    // A fresh secret each time by default.
    expect(new AddressTokens().tokenFor('k')).not.toBe(new AddressTokens().tokenFor('k'));
    expect(new AddressTokens().tokenFor('k')).toMatch(/^[0-9a-f]{32}$/);
  });

  it("verifies an echo of the address's own token, in either case, and nothing else", () => {
    const tokens = new AddressTokens(secret);
    const token = tokens.tokenFor('a:1');
    expect(tokens.verify('a:1', token)).toBe(true);
    expect(tokens.verify('a:1', token.toUpperCase())).toBe(true);
    expect(tokens.verify('a:2', token)).toBe(false);
    expect(tokens.verify('a:1', token.slice(1))).toBe(false);
    expect(tokens.verify('a:1', `${token}0`)).toBe(false);
    expect(tokens.verify('a:1', '')).toBe(false);
    const flipped = (token[0] === '0' ? '1' : '0') + token.slice(1);
    expect(tokens.verify('a:1', flipped)).toBe(false);
    expect(new AddressTokens(new Uint8Array(32).fill(8)).verify('a:1', token)).toBe(false);
  });
});
