/**
 * The page's addresses for what the details panel shows (docs/api.md, "The web view"):
 * `#/block/<hash>`, `#/tx/<txid>` and `#/address/<pow1...>`, so a block, a transaction or
 * an address page can be linked to, bookmarked and reached with the browser's back button.
 * Pure: no DOM, so vitest runs it as is. The API validates what the page then asks it.
 */

export type Route =
  { kind: 'block'; hash: string } | { kind: 'tx'; txid: string } | { kind: 'address'; address: string };

const HASH = /^[0-9a-fA-F]{64}$/;
/** The shape of a bech32m address (the API decodes it and says what is wrong with it). */
const ADDRESS = /^[a-zA-Z0-9]{1,90}$/;

/** The route of a location hash (`#/tx/ab12...`); undefined for anything else. */
export function parseRoute(hash: string): Route | undefined {
  const match = /^#\/(block|tx|address)\/([^/?#]+)$/.exec(hash);
  if (!match) return undefined;
  const [, kind, value] = match as unknown as [string, Route['kind'], string];
  if (kind === 'address') return ADDRESS.test(value) ? { kind, address: value.toLowerCase() } : undefined;
  if (!HASH.test(value)) return undefined;
  return kind === 'block' ? { kind, hash: value.toLowerCase() } : { kind, txid: value.toLowerCase() };
}

export function routeHref(route: Route): string {
  switch (route.kind) {
    case 'block':
      return `#/block/${route.hash}`;
    case 'tx':
      return `#/tx/${route.txid}`;
    case 'address':
      return `#/address/${route.address}`;
  }
}
