/** The web page's routes (web/route.ts): what a location hash shows, and back again. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Route, parseRoute, routeHref } from '../web/route.js';

const hash = 'ab'.repeat(32);

describe('the web page routes', () => {
  it('reads a block, a transaction and an address, in either case, as lowercase', () => {
    expect(parseRoute(`#/block/${hash.toUpperCase()}`)).toEqual({ kind: 'block', hash });
    expect(parseRoute(`#/tx/${hash}`)).toEqual({ kind: 'tx', txid: hash });
    expect(parseRoute('#/address/POW1QQQ')).toEqual({ kind: 'address', address: 'pow1qqq' });
  });

  it.each([
    ['', 'no hash'],
    ['#/', 'no kind'],
    [`#/blocks/${hash}`, 'an unknown kind'],
    [`#/block/${hash.slice(1)}`, '63 hex digits'],
    [`#/block/${hash}0`, '65 hex digits'],
    [`#/tx/${'g'.repeat(64)}`, 'not hex'],
    [`#/tx/${hash}/more`, 'a longer path'],
    [`#/address/${'q'.repeat(91)}`, 'an address longer than bech32 allows'],
    ['#/address/pow1%20x', 'an escaped character'],
  ])('refuses %j (%s)', (text) => {
    expect(parseRoute(text)).toBeUndefined();
  });

  it('reads back every route it writes', () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    const route: fc.Arbitrary<Route> = fc.oneof(
      hex.map((value) => ({ kind: 'block' as const, hash: value })),
      hex.map((value) => ({ kind: 'tx' as const, txid: value })),
      fc.stringMatching(/^[a-z0-9]{1,90}$/).map((value) => ({ kind: 'address' as const, address: value })),
    );
    fc.assert(
      fc.property(route, (value) => {
        expect(parseRoute(routeHref(value))).toEqual(value);
      }),
    );
  });
});
