/**
 * The page's transactions (docs/api.md, "The web view"): a block's transactions, one
 * transaction's page, an address page (balance, unspent outputs, history) and the mempool
 * panel. Every txid, address and block shown links to its own page (route.ts). Amounts come
 * from the API in base units and are shown in coins, exactly (no floating point).
 */
import type { ApiAddress, ApiMempool, ApiTx } from '../src/api/source.js';
import { formatCoins } from '../src/primitives/amount.js';
import { clear, detailsList, row } from './dom.js';
import { formatBytes, shortHash } from './format.js';
import { type Route, routeHref } from './route.js';

/** Transactions of one block drawn in its details (a full block holds a few hundred). */
const MAX_BLOCK_TXS = 100;
/** Txids the mempool panel lists. */
const MEMPOOL_SHOWN = 12;

/** Base units (a decimal string) as coins with 8 decimals; a sign when asked. */
export function coins(units: string, signed = false): string {
  const value = BigInt(units);
  return `${signed && value > 0n ? '+' : ''}${formatCoins(value)}`;
}

/** A link to a route, or plain text when the page has no such pages (the network view). */
export function routeLink(route: Route, text: string, linked = true): HTMLElement {
  const element = document.createElement(linked ? 'a' : 'span');
  if (element instanceof HTMLAnchorElement) element.href = routeHref(route);
  element.textContent = text;
  element.title = route.kind === 'address' ? route.address : route.kind === 'tx' ? route.txid : route.hash;
  element.dataset.route = route.kind;
  return element;
}

function cell(content: string | Node, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.append(content);
  return td;
}

function table(headers: string[], className = ''): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const element = document.createElement('table');
  if (className) element.className = className;
  const head = element.createTHead().insertRow();
  for (const header of headers) {
    const th = document.createElement('th');
    th.textContent = header;
    head.append(th);
  }
  return { table: element, body: element.createTBody() };
}

function heading(text: string): HTMLHeadingElement {
  const element = document.createElement('h3');
  element.textContent = text;
  return element;
}

/** "coinbase", "fee 0.00000500", or "fee unknown". */
function feeText(tx: ApiTx): string {
  if (tx.inputs.length === 0) return 'coinbase';
  return tx.fee === null ? 'fee unknown' : `fee ${coins(tx.fee)}`;
}

/** "3: 1 coinbase, 2 transfers" for a block's transactions field. */
export function transactionsSummary(txs: readonly ApiTx[] | null): string {
  if (txs === null) return 'none: this network has no transactions';
  if (txs.length === 0) return 'none';
  const coinbases = txs.filter((tx) => tx.inputs.length === 0).length;
  const transfers = txs.length - coinbases;
  const parts = [
    ...(coinbases ? [`${coinbases} coinbase`] : []),
    ...(transfers ? [`${transfers} transfer${transfers === 1 ? '' : 's'}`] : []),
  ];
  return `${txs.length}: ${parts.join(', ')}`;
}

/** Inputs and outputs of a transaction, one row each: direction, address, amount. */
function flows(tx: ApiTx, linked: boolean): HTMLTableElement {
  const { table: element, body } = table(['', 'address', 'amount'], 'tx-flows');
  for (const input of tx.inputs) {
    const tr = body.insertRow();
    tr.className = 'input';
    const from = input.address
      ? routeLink({ kind: 'address', address: input.address }, input.address, linked)
      : `${shortHash(input.txid)}:${input.index} (unknown output)`;
    tr.append(cell('in'), cell(from), cell(input.amount === null ? '–' : coins(input.amount), 'amount'));
  }
  for (const output of tx.outputs) {
    const tr = body.insertRow();
    tr.className = 'output';
    tr.append(
      cell('out'),
      cell(routeLink({ kind: 'address', address: output.address }, output.address, linked)),
      cell(coins(output.amount), 'amount'),
    );
  }
  if (tx.inputs.length === 0 && tx.outputs.length === 0) body.append(row(['pays no one'], 'empty', 3));
  return element;
}

/** A block's transactions, each a txid (linked), its fee and its inputs and outputs. */
export function blockTransactions(txs: readonly ApiTx[], linked = true): HTMLElement {
  const list = document.createElement('div');
  list.className = 'txs';
  for (const tx of txs.slice(0, MAX_BLOCK_TXS)) {
    const item = document.createElement('div');
    item.className = 'tx';
    item.dataset.txid = tx.txid;
    const head = document.createElement('div');
    head.className = 'tx-head';
    const kind = document.createElement('span');
    kind.className = 'tx-fee';
    kind.textContent = feeText(tx);
    head.append(routeLink({ kind: 'tx', txid: tx.txid }, shortHash(tx.txid, 16), linked), kind);
    item.append(head, flows(tx, linked));
    list.append(item);
  }
  if (txs.length > MAX_BLOCK_TXS) {
    const more = document.createElement('p');
    more.textContent = `… and ${txs.length - MAX_BLOCK_TXS} more`;
    list.append(more);
  }
  return list;
}

/** One transaction's page: where it is, its size and fee, and its inputs and outputs. */
export function txDetails(tx: ApiTx): DocumentFragment {
  const fragment = document.createDocumentFragment();
  const where =
    tx.block === null || tx.height === null
      ? 'in the mempool, waiting for a block'
      : routeLink({ kind: 'block', hash: tx.block }, `height ${tx.height}, block ${shortHash(tx.block, 16)}`);
  fragment.append(
    detailsList([
      ['txid', tx.txid],
      ['status', tx.block === null ? 'unconfirmed' : 'confirmed'],
      ['where', where],
      ['size', `${tx.size} bytes`],
      [
        'fee',
        tx.inputs.length === 0 ? '– (a coinbase collects the fees)' : tx.fee === null ? 'unknown' : coins(tx.fee),
      ],
    ]),
    heading(tx.inputs.length === 0 ? 'Coinbase: new coins to' : 'Inputs and outputs'),
    flows(tx, true),
  );
  return fragment;
}

/** An address's page: balance, unspent outputs (and whether each may be spent now), history. */
export function addressDetails(address: ApiAddress): DocumentFragment {
  const fragment = document.createDocumentFragment();
  let spendable = 0n;
  for (const coin of address.unspent) if (coin.spendable) spendable += BigInt(coin.amount);
  fragment.append(
    detailsList([
      ['address', address.address],
      ['balance', coins(address.balance)],
      ['spendable now', formatCoins(spendable)],
      ['unspent outputs', String(address.unspent.length)],
    ]),
  );
  const unspent = table(['output', 'amount', 'height', 'state'], 'unspent');
  for (const coin of address.unspent) {
    const state = coin.spentInMempool
      ? 'spent in the mempool'
      : coin.spendable
        ? 'spendable'
        : coin.coinbase
          ? 'coinbase, not mature yet'
          : 'not spendable yet';
    const tr = unspent.body.insertRow();
    tr.append(
      cell(routeLink({ kind: 'tx', txid: coin.txid }, `${shortHash(coin.txid)}:${coin.index}`)),
      cell(coins(coin.amount), 'amount'),
      cell(coin.height === null ? '–' : String(coin.height)),
      cell(state),
    );
  }
  if (address.unspent.length === 0) unspent.body.append(row(['no unspent outputs'], 'empty', 4));
  const history = table(['transaction', 'height', 'change'], 'history');
  for (const event of address.history) {
    const tr = history.body.insertRow();
    tr.append(
      cell(routeLink({ kind: 'tx', txid: event.txid }, shortHash(event.txid, 16))),
      cell(event.height === null ? 'mempool' : String(event.height)),
      cell(coins(event.delta, true), 'amount'),
    );
  }
  if (address.history.length === 0) history.body.append(row(['no transactions on the main chain'], 'empty', 3));
  fragment.append(heading('Unspent outputs'), unspent.table, heading('History (newest first)'), history.table);
  return fragment;
}

/**
 * The mempool panel: its size and the newest txids. Loaded from `/api/mempool`, kept live
 * by `tx` events in between (a txid enters, or leaves when confirmed), and loaded again
 * after them, since transactions also leave when a block spends their coins, and come back
 * when a reorganisation returns them.
 */
export class MempoolPanel {
  readonly #summary: HTMLElement;
  readonly #list: HTMLElement;
  #mempool: ApiMempool | undefined;
  #unavailable: string | undefined;

  constructor(summary: HTMLElement, list: HTMLElement) {
    this.#summary = summary;
    this.#list = list;
  }

  /** The answer of `/api/mempool`. */
  set(mempool: ApiMempool): void {
    this.#mempool = { ...mempool, txids: [...mempool.txids] };
    this.#unavailable = undefined;
    this.#render();
  }

  /** Why there is no mempool (the API's reason: a network without transactions). */
  unavailable(reason: string): void {
    this.#unavailable = reason;
    this.#mempool = undefined;
    this.#render();
  }

  /** A `tx` event: in the mempool when `block` is null, out of it (confirmed) otherwise. */
  onTx(txid: string, block: string | null): void {
    const mempool = this.#mempool;
    if (!mempool) return;
    const index = mempool.txids.indexOf(txid);
    if (block === null && index < 0) {
      mempool.txids.unshift(txid);
      mempool.count++;
    } else if (block !== null && index >= 0) {
      mempool.txids.splice(index, 1);
      mempool.count = Math.max(0, mempool.count - 1);
    }
    this.#render();
  }

  #render(): void {
    const list = clear(this.#list);
    if (this.#unavailable !== undefined) {
      this.#summary.textContent = `none: ${this.#unavailable}`;
      return;
    }
    const mempool = this.#mempool;
    if (!mempool) return;
    this.#summary.textContent =
      mempool.count === 0
        ? 'empty: every transaction this node knows is in a block'
        : `${mempool.count.toLocaleString('en-US')} transaction${mempool.count === 1 ? '' : 's'} · ${formatBytes(mempool.bytes)}`;
    for (const txid of mempool.txids.slice(0, MEMPOOL_SHOWN)) {
      const item = document.createElement('li');
      item.dataset.txid = txid;
      item.append(routeLink({ kind: 'tx', txid }, shortHash(txid, 24)));
      list.append(item);
    }
    if (mempool.count > MEMPOOL_SHOWN) {
      const more = document.createElement('li');
      more.className = 'empty';
      more.textContent = `… ${(mempool.count - Math.min(MEMPOOL_SHOWN, mempool.txids.length)).toLocaleString('en-US')} older`;
      list.append(more);
    }
  }
}
