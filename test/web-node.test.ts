/**
 * The web view of real nodes in a real browser (Debian's chromium, driven by playwright-core):
 * powchain MinerNodes in this process on the in-process MemoryNetwork, mining real (easy)
 * proof of work, each behind its own HTTP API. The height rises live; a block's details show
 * its transactions, linked to their pages and to address pages; a transfer sent through the
 * API shows in the mempool and leaves it when a block confirms it; a partition makes a fork
 * that appears in the tree when it heals and folds away once it is deep enough; no page has
 * a console error.
 *
 * With POWCHAIN_SCREENSHOT=1 the last test also writes docs/web-view.png (the README's picture).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { formatCoins } from '../src/primitives/amount.js';
import { MemoryNetwork } from './helpers/memory-network.js';
import { DEFAULT_HEAL_DEPTH } from '../web/tree-model.js';
import { buildWeb } from '../scripts/build-web.js';
import { type Browser, launchBrowser } from './helpers/browser.js';
import {
  type ApiNode,
  LIVE_PARAMS,
  nodeAddress,
  sendCoins,
  spendableCoins,
  startApiNode,
  wallet,
} from './helpers/api-node.js';
import { until } from './helpers/wait.js';

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(read: () => T | Promise<T>, options: { timeout?: number } = {}) =>
  expect.poll(read, { timeout: 10_000, ...options });

const SCREENSHOT = fileURLToPath(new URL('../docs/web-view.png', import.meta.url));

let browser: Browser;
const pages: Page[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  await buildWeb();
  browser = await launchBrowser();
}, 60_000);
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  expect(browser.errors).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
});

const alice = wallet('alice');
const bob = wallet('bob');
const carol = wallet('carol');

/** `count` nodes on one in-process network, node 0 mining the genesis, every block paying alice. */
async function startNodes(count: number, params = LIVE_PARAMS) {
  const network = new MemoryNetwork({ maxDelayMs: 3, seed: 9 });
  cleanups.push(() => network.close());
  const peers = Array.from({ length: count }, (_, i) => nodeAddress(i));
  const nodes: ApiNode[] = [];
  // The waiting nodes first, so the genesis reaches them at once.
  for (let index = count - 1; index >= 0; index--) {
    const node = await startApiNode({
      network,
      index,
      peers,
      payTo: alice,
      ...(index === 0 ? { genesis: params } : {}),
    });
    cleanups.push(() => node.stop());
    nodes[index] = node;
  }
  return { network, nodes };
}

async function openPage(node: ApiNode, path = '/'): Promise<Page> {
  const page = await browser.open(`${node.api.url}${path}`);
  pages.push(page);
  await page.locator('#stream.live').waitFor();
  return page;
}

const heightOf = (node: ApiNode): number => node.node.tree?.head.height ?? -1;

/** Stops every miner and waits for one head; a tie of equal work (each keeps its first seen) is broken by one more block of `breaker`. */
async function settleOnOneHead(nodes: ApiNode[], breaker: ApiNode): Promise<void> {
  for (const node of nodes) node.miner.pause();
  const oneHead = () => new Set(nodes.map((node) => node.node.tree!.head.hash)).size === 1;
  try {
    await until(oneHead, 2_000, 'one head');
  } catch {
    breaker.miner.allow(1);
    await until(oneHead, 10_000, 'one head after a tie-breaking block');
  }
}
const field = (page: Page, name: string) => page.locator(`#details-body dd[data-field="${name}"]`).first();

describe('the web view of a real powchain node', () => {
  it('follows the height live and shows blocks, transactions, the mempool and address pages', async () => {
    const { nodes } = await startNodes(1);
    const [a] = nodes as [ApiNode];
    a.miner.run();
    await until(() => heightOf(a) >= 2, 20_000, 'height 2');
    const page = await openPage(a);
    expect(await page.locator('#network').textContent()).toBe('powchain · webnet');
    await poll(() => page.locator('#mempool-summary').textContent()).toMatch(/^empty/);

    // Live: the header and the tree's head follow the node's height.
    const seen = heightOf(a);
    await until(() => heightOf(a) >= seen + 2, 20_000, 'two more blocks');
    await poll(async () =>
      Number((await page.locator('#height').textContent())!.replace(/,/g, '')),
    ).toBeGreaterThanOrEqual(seen + 2);
    a.miner.pause();
    const head = a.node.tree!.head;
    await page.locator(`.node.head[data-key="${head.hash}"]`).waitFor();

    // The head's details: its coinbase pays alice; her address links to her page.
    await page.locator('.node.head').click();
    await poll(() => field(page, 'hash').textContent()).toBe(head.hash);
    expect(await field(page, 'transactions').textContent()).toBe('1: 1 coinbase');
    expect(await page.locator('#details-body .tx .tx-fee').textContent()).toBe('coinbase');
    const subsidy = formatCoins(LIVE_PARAMS.subsidy);
    expect(await page.locator('#details-body .tx tr.output td.amount').textContent()).toBe(subsidy);
    await page.locator(`#details-body .tx a[data-route="address"]`).first().click();
    await poll(() => page.locator('#details-title').textContent()).toBe('Address');
    expect(page.url()).toMatch(new RegExp(`#/address/${alice.address}$`));
    expect(await field(page, 'address').textContent()).toBe(alice.address);
    const answer = a.source.transactions!.address(alice.address);
    if (!answer.ok) throw new Error(answer.reason);
    expect(await field(page, 'balance').textContent()).toBe(formatCoins(BigInt(answer.address.balance)));
    expect(await page.locator('#details-body table.unspent tbody tr').count()).toBe(head.height);
    expect(await page.locator('#details-body table.history tbody tr').count()).toBe(head.height);

    // A transfer through the API: it shows in the mempool at once, with its fee on its page.
    const txid = await sendCoins(a, alice, carol, 250_000_000n, 1_500n);
    const listed = page.locator(`#mempool-txids li[data-txid="${txid}"] a`);
    await listed.waitFor();
    expect(await page.locator('#mempool-summary').textContent()).toMatch(/^1 transaction · \d+ B$/);
    await listed.click();
    await poll(() => field(page, 'txid').textContent()).toBe(txid);
    expect(await field(page, 'status').textContent()).toBe('unconfirmed');
    expect(await field(page, 'fee').textContent()).toBe('0.00001500');
    expect(await (await fetch(`${a.api.url}/api/tx/${txid}`)).json()).toMatchObject({ fee: '1500', block: null });
    expect(await page.locator('#details-body table.tx-flows tr.input a').textContent()).toBe(alice.address);
    expect(await page.locator('#details-body table.tx-flows tr.output a').allTextContents()).toEqual([
      carol.address,
      alice.address,
    ]);

    // A block confirms it: it leaves the mempool, and its page (shown) says where it is. One
    // block at a time (a block found on a template made just before the transfer arrived
    // confirms nothing), however slowly a loaded machine finds them.
    for (let tries = 0; !a.node.chainState!.confirmed(txid); tries++) {
      if (tries === 3) throw new Error(`three blocks later, ${txid} is still not confirmed`);
      const before = heightOf(a);
      a.miner.allow(1);
      await until(() => heightOf(a) > before, 60_000, 'the next block');
    }
    await poll(() => page.locator('#mempool-summary').textContent(), { timeout: 15_000 }).toMatch(/^empty/);
    await poll(() => field(page, 'status').textContent()).toBe('confirmed');
    const confirmed = a.node.chainState!.confirmed(txid)!;
    await field(page, 'where').locator('a').click();
    await poll(() => field(page, 'hash').textContent()).toBe(confirmed.block);
    expect(await field(page, 'transactions').textContent()).toBe('2: 1 coinbase, 1 transfer');
    expect(await page.locator(`#details-body .tx[data-txid="${txid}"] .tx-fee`).textContent()).toBe('fee 0.00001500');
    await page.locator(`.node.head.selected[data-key="${confirmed.block}"]`).waitFor();

    // Back to the transaction's page, then to carol's: the coins arrived.
    await page.goBack();
    await poll(() => field(page, 'txid').textContent()).toBe(txid);
    await page.locator(`#details-body table.tx-flows tr.output a[title="${carol.address}"]`).click();
    await poll(() => field(page, 'balance').textContent()).toBe('2.50000000');
    expect(await page.locator('#details-body table.history td.amount').textContent()).toBe('+2.50000000');
  }, 120_000);

  it('draws the fork a partition made once it heals, and folds it away when it is deep enough', async () => {
    const { network, nodes } = await startNodes(2);
    const [a, b] = nodes as [ApiNode, ApiNode];
    a.miner.allow(1 + 3); // the genesis, then three blocks
    await until(() => heightOf(a) === 3 && heightOf(b) === 3, 20_000, 'both nodes at height 3');
    const page = await openPage(a);
    await page.locator('.node.head[data-height="3"]').waitFor();

    // Cut apart, each mines on its own: node 0 one block, node 1 two (more work: it wins).
    network.partition([a.address], [b.address]);
    a.miner.allow(1);
    await until(() => heightOf(a) === 4, 20_000, 'node 0 at height 4');
    const lost = a.node.tree!.head.hash;
    b.miner.allow(2);
    await until(() => heightOf(b) === 5, 20_000, 'node 1 at height 5');
    await page.locator(`.node.head[data-key="${lost}"]`).waitFor();
    expect(await page.locator('.node.fork, .node.stale-tip').count()).toBe(0);

    // Healed: node 0 hears of the heavier branch and reorganises; its own block is a stale tip.
    network.heal();
    await until(() => a.node.tree!.head.hash === b.node.tree!.head.hash, 20_000, 'one head');
    await page.locator(`.node.head[data-key="${b.node.tree!.head.hash}"]`).waitFor();
    await page.locator(`.node.stale-tip[data-key="${lost}"]`).waitFor();
    await page.locator(`.node.stale-tip[data-key="${lost}"]`).click();
    await poll(() => field(page, 'chain').textContent()).toBe('off the main chain (stale)');

    // Deep enough, it has healed: it folds into the run below.
    b.miner.allow(DEFAULT_HEAL_DEPTH);
    await until(() => heightOf(a) === 5 + DEFAULT_HEAL_DEPTH, 30_000, 'the fork buried');
    // Selected, the stale block stays drawn; a click elsewhere lets it fold.
    await page.locator('.node.head').click();
    await page.locator(`.node[data-key="${lost}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('.node.stale-tip, .node.fork').count()).toBe(0);
    expect(await page.locator('.node.fold[data-stale="1"]').count()).toBe(1);
  });

  it('draws a small live network as a person sees it: forks, transactions, mempool, charts, peers (and the README picture)', async () => {
    // Three miners of 40 kH/s each, a block every ~300 ms between them (32,768 hashes a block).
    const { network, nodes } = await startNodes(3, { ...LIVE_PARAMS, initialTarget: 1n << 241n });
    const [a, b, c] = nodes as [ApiNode, ApiNode, ApiNode];
    for (const node of nodes) node.miner.run();
    await until(() => spendableCoins(a, alice).length >= 3, 30_000, 'three coins for alice');
    const page = await openPage(a);

    // Alice, paid by node 0's blocks, pays carol and bob; some of it is confirmed as the nodes mine.
    const sent = [
      await sendCoins(a, alice, carol, 1_250_000_000n, 2_000n),
      await sendCoins(a, alice, bob, 300_000_000n, 1_200n),
    ];
    await until(() => sent.every((txid) => a.node.chainState!.confirmed(txid)), 30_000, 'the payments confirmed');

    // A short partition: node 0 mines alone and loses its block to the others' longer branch.
    await settleOnOneHead(nodes, a);
    network.partition([a.address], [b.address, c.address]);
    const forkedAt = heightOf(a);
    a.miner.allow(1);
    await until(() => heightOf(a) === forkedAt + 1, 10_000, 'node 0 alone');
    const lost = a.node.tree!.head.hash;
    b.miner.allow(1);
    await until(() => heightOf(c) === forkedAt + 1, 10_000, 'node 1 for the others');
    c.miner.allow(1);
    await until(() => heightOf(b) === forkedAt + 2, 10_000, 'node 2 for the others');
    network.heal();
    await until(() => a.node.tree!.head.hash === b.node.tree!.head.hash, 20_000, 'node 0 reorganised');
    for (const node of nodes) node.miner.run();
    await until(() => heightOf(a) >= forkedAt + 5, 30_000, 'three blocks more');
    await settleOnOneHead(nodes, a);

    // Two payments wait in the mempool; a tutorial miner somewhere sends something that is not a block.
    await sendCoins(a, alice, carol, 75_000_000n, 900n);
    await sendCoins(a, carol, bob, 20_000_000n, 500n);
    const stranger = network.bind({ host: '127.0.0.1', port: 7199 });
    cleanups.push(() => stranger.close());
    await stranger.send(a.address, new TextEncoder().encode('{"data": "hello"'));
    await poll(() => page.locator('#mempool-txids li[data-txid]').count()).toBe(2);
    await poll(() => page.locator('#refusals-body td').nth(3).textContent()).not.toBe('nothing refused');
    // Node 0's lost block (and any race the free mining made) is a stale tip.
    await page.locator(`.node.stale-tip[data-key="${lost}"]`).waitFor();
    // The two other nodes, and the stranger (a tutorial peer).
    await poll(() => page.locator('#peers-body tr').count()).toBe(3);

    // The block that confirmed carol's payment, with its transactions.
    const confirming = a.node.chainState!.confirmed(sent[0]!)!.block;
    await page.goto(`${a.api.url}/#/block/${confirming}`);
    await page.locator('#stream.live').waitFor();
    await poll(() => field(page, 'hash').textContent()).toBe(confirming);
    await page.locator(`#details-body .tx[data-txid="${sent[0]}"]`).waitFor();
    await poll(() => page.locator('#mempool-txids li[data-txid]').count()).toBe(2);
    await poll(() => page.locator('#hashrate-chart .u-title').textContent()).toBe('Hashrate');
    if (process.env.POWCHAIN_SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
