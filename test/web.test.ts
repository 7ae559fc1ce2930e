/**
 * The node's web page in a real browser (Debian's chromium, driven by playwright-core),
 * against the API server on a fake source the test grows by hand: the height rises live,
 * a block's details open on click, a fork appears and folds away once it has healed, a
 * tree of 100,000 blocks is drawn folded, and no page has a console error.
 * (The README's picture comes from real nodes: test/web-node.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { FakeSource } from '../src/api/fake-source.js';
import { type RunningServer, startApiServer } from '../src/api/server.js';
import { DEFAULT_HEAL_DEPTH } from '../web/tree-model.js';
import { buildWeb } from '../scripts/build-web.js';
import { type Browser, launchBrowser, within } from './helpers/browser.js';

let browser: Browser;

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(read: () => T | Promise<T>, options: { timeout?: number } = {}) =>
  expect.poll(read, { timeout: 10_000, ...options });

const servers: RunningServer[] = [];
const pages: Page[] = [];

beforeAll(async () => {
  await buildWeb();
  browser = await launchBrowser();
}, 60_000);
afterEach(async () => {
  await within(Promise.all(pages.splice(0).map((page) => page.close())), 10_000, 'closing the pages');
  await within(Promise.all(servers.splice(0).map((server) => server.close())), 10_000, 'closing the API servers');
  expect(browser.errors).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
});

/**
 * A source whose block times end about now, so the page's charts look as they would live:
 * a block a second at 2^232 (2^24 hashes a block), about what two nodes of 8 MH/s make.
 */
function liveSource(): FakeSource {
  const blockIntervalMs = 1_000;
  return new FakeSource({ target: 1n << 232n, startTime: Date.now() - 40 * blockIntervalMs, blockIntervalMs });
}

async function openPage(source: FakeSource): Promise<Page> {
  const server = await startApiServer({ source, rateLimit: false });
  servers.push(server);
  const page = await browser.open(`${server.url}/`);
  pages.push(page);
  await page.locator('#stream.live').waitFor();
  return page;
}

describe('the web view of a node', () => {
  it('shows the chain and follows the height live', async () => {
    const source = liveSource();
    source.extend(20);
    source.setHashrate(4_000_000, [2_100_000, 1_900_000]);
    const page = await openPage(source);
    await poll(() => page.locator('#height').textContent()).toBe('20');
    expect(await page.locator('#network').textContent()).toBe('powchain · fakenet');
    expect(await page.locator('#difficulty').textContent()).toBe('16.8 M');
    await page.locator('.node.head[data-height="20"]').waitFor();

    source.extend(1);
    await poll(() => page.locator('#height').textContent()).toBe('21');
    await page.locator('.node.head[data-height="21"]').waitFor();
    expect(await page.locator('.node.head').count()).toBe(1);
    source.setHashrate(8_000_000, [4_000_000, 4_000_000]);
    await poll(() => page.locator('#hashrate').textContent()).toBe('8.00 MH/s');
    expect(await page.locator('#hashrate-threads').textContent()).toBe('4.00 MH/s · 4.00 MH/s');
  });

  it("opens a block's details on click", async () => {
    const source = liveSource();
    source.extend(5, { miner: '127.0.0.1:5001:7', relayedBy: '127.0.0.1:5001' });
    const page = await openPage(source);
    await page.locator('.node.head').click();
    const field = (name: string) => page.locator(`#details-body dd[data-field="${name}"]`);
    await poll(() => field('hash').textContent()).toBe(source.mainAt(5));
    expect(await field('height').textContent()).toBe('5');
    expect(await field('miner').textContent()).toBe('127.0.0.1:5001:7');
    expect(await field('relayed by').textContent()).toBe('127.0.0.1:5001');
    expect(await field('parent').textContent()).toBe(source.mainAt(4));
    expect(await field('transactions').textContent()).toBe('none: this network has no transactions');
    expect(await page.locator('.node.head.selected').count()).toBe(1);
  });

  it('draws a fork when it appears, follows the reorganisation, and folds it away once healed', async () => {
    const source = liveSource();
    source.extend(30);
    const page = await openPage(source);
    await page.locator('.node.head[data-height="30"]').waitFor();
    expect(await page.locator('.node.fork, .node.stale-tip').count()).toBe(0);

    // A rival block at the head's height: a stale tip next to the head (first seen keeps the head).
    const rival = source.mine(source.mainAt(29)!, { miner: '127.0.0.1:5002:0', relayedBy: '127.0.0.1:5002' });
    await page.locator(`.node.stale-tip[data-key="${rival}"]`).waitFor();
    const oldHead = source.mainAt(30)!;

    // The rival's branch grows longer: the node reorganises onto it, the old head goes stale.
    source.mine(rival, { miner: '127.0.0.1:5002:1', relayedBy: '127.0.0.1:5002' });
    await page.locator('.node.head[data-height="31"]').waitFor();
    await page.locator(`.node.stale-tip[data-key="${oldHead}"]`).waitFor();
    expect(await page.locator(`.node[data-key="${rival}"]`).getAttribute('data-role')).toBe('main');

    // Healed: once the stale tip is more than DEFAULT_HEAL_DEPTH blocks deep, it folds into the run.
    source.extend(DEFAULT_HEAL_DEPTH - 1);
    await page.locator(`.node.head[data-height="${30 + DEFAULT_HEAL_DEPTH}"]`).waitFor();
    expect(await page.locator(`.node[data-key="${oldHead}"]`).count()).toBe(1);
    source.extend(1);
    await page.locator(`.node[data-key="${oldHead}"]`).waitFor({ state: 'detached' });
    expect(await page.locator('.node.stale-tip, .node.fork').count()).toBe(0);
    expect(await page.locator('.node.fold[data-stale="1"]').count()).toBe(1);
  });

  it('says on a seed network that there are no transactions, in every panel about them', async () => {
    const source = new FakeSource({ network: 'seed' });
    source.extend(3);
    const page = await openPage(source);
    await poll(() => page.locator('#mempool-summary').textContent()).toBe(
      "none: this node's network has no transactions",
    );
    await page.locator('.node.head').click();
    await poll(() => page.locator('#details-body dd[data-field="transactions"]').textContent()).toBe(
      'none: this network has no transactions',
    );
    expect(await page.locator('#details-body .tx').count()).toBe(0);
    await page.goto(`${page.url().split('#')[0]}#/address/pow1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq`);
    await page.locator('#stream.live').waitFor();
    await poll(() => page.locator('#details-title').textContent()).toBe('Address');
    expect(await page.locator('#details-body').textContent()).toBe("this node's network has no transactions");
    await page.goto(`${page.url().split('#')[0]}#/tx/${'ab'.repeat(32)}`);
    await poll(() => page.locator('#details-title').textContent()).toBe('Transaction');
    expect(await page.locator('#details-body').textContent()).toBe("this node's network has no transactions");
    // The API's 501s are what it should answer; the browser logs each one.
    const expected = /^console: Failed to load resource: the server responded with a status of 501/;
    browser.errors.splice(0, browser.errors.length, ...browser.errors.filter((error) => !expected.test(error)));
  });

  it('lists peers and recent refusals with their reasons', async () => {
    const source = liveSource();
    source.extend(3);
    source.setPeers([
      { address: '127.0.0.1:5001', extended: true, validated: true, lastHeard: Date.now(), banned: false },
      { address: '127.0.0.1:5009', extended: false, validated: false, lastHeard: Date.now(), banned: true },
    ]);
    source.refuse({ time: Date.now(), hash: 'ab'.repeat(32), from: '127.0.0.1:5009', reason: 'bad-pow' });
    const page = await openPage(source);
    await page.locator('#peers-body tr.banned').waitFor();
    expect(await page.locator('#peers-body tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:5001\textended\tyes\t/),
      expect.stringMatching(/^127\.0\.0\.1:5009\ttutorial\tno\t.*\tbanned$/),
    ]);
    expect(await page.locator('#refusals-body td').nth(3).textContent()).toBe('bad-pow');
  });

  it('draws a tree of 100,000 blocks folded, and keeps up as it grows', async () => {
    const source = liveSource();
    source.extend(100_000);
    // One fork deep enough to have healed, two recent ones.
    for (const height of [99_990, 99_996, 99_998]) source.mine(source.mainAt(height)!, { miner: 'rival' });
    const page = await openPage(source);
    await poll(() => page.locator('#height').textContent()).toBe('100,000');
    await page.locator('.node.head[data-height="100000"]').waitFor();
    // Folded: the two recent forks and a few blocks around them, not thousands of elements.
    expect(await page.locator('.node').count()).toBeLessThan(40);
    expect(await page.locator('.node.stale-tip').count()).toBe(2);
    expect(await page.locator('.node.fold[data-stale="1"]').count()).toBe(1);
    source.extend(200);
    await page.locator('.node.head[data-height="100200"]').waitFor();
    expect(await page.locator('.node').count()).toBeLessThan(40);
  });

  it('shows a node that waits for its genesis block, then its chain', async () => {
    const source = new FakeSource({ genesis: false });
    const page = await openPage(source);
    await page.locator('#waiting:not([hidden])').waitFor();
    expect(await page.locator('#waiting').textContent()).toMatch(/waiting for a genesis block/);
    source.genesis();
    source.extend(2);
    await page.locator('.node.head[data-height="2"]').waitFor();
    await page.locator('#waiting[hidden]').waitFor({ state: 'attached' });
    // The API's 503s while there was no chain are what it should answer; the browser logs each one.
    const expected = /^console: Failed to load resource: the server responded with a status of 503/;
    browser.errors.splice(0, browser.errors.length, ...browser.errors.filter((error) => !expected.test(error)));
  });

  it('draws everything at once: tree, details, both charts, peers and refusals', async () => {
    const source = new FakeSource({ target: 1n << 232n, startTime: Date.now() - 61_000, blockIntervalMs: 1_000 });
    // Three miners taking turns, with intervals spread as block intervals are (exponentially, mean 1 s).
    let time = Date.now() - 60_000;
    let seed = 7;
    const next = (miner: number, count: number) => {
      seed = (seed * 48271) % 2147483647;
      time += Math.round(-Math.log(seed / 2147483647) * 1_000);
      const relayedBy = miner === 0 ? 'self' : `127.0.0.1:500${miner}`;
      return { miner: `127.0.0.1:500${miner}:${count}`, relayedBy, time };
    };
    for (let i = 1; i <= 40; i++) source.extend(1, next(i % 3, Math.floor(i / 3)));
    source.mine(source.mainAt(37)!, next(2, 13));
    const side = source.mine(source.mainAt(39)!, next(1, 14));
    source.mine(side, next(1, 15));
    source.extend(1, next(0, 14));
    source.setPeers([
      { address: '127.0.0.1:5001', extended: true, validated: true, lastHeard: Date.now() - 1_200, banned: false },
      { address: '127.0.0.1:5002', extended: true, validated: true, lastHeard: Date.now() - 300, banned: false },
      { address: '127.0.0.1:5003', extended: false, validated: true, lastHeard: Date.now() - 4_000, banned: false },
    ]);
    source.refuse({
      time: Date.now() - 9_000,
      hash: 'c0ffee'.padEnd(64, '0'),
      from: '127.0.0.1:5004',
      reason: 'bad-pow',
    });
    source.refuse({ time: Date.now() - 2_000, hash: null, from: '127.0.0.1:5004', reason: 'malformed datagram' });
    const page = await openPage(source);
    for (let i = 0; i < 8; i++) {
      source.setHashrate(8_000_000 + ((i * 370_000) % 900_000), [4_000_000 + ((i * 170_000) % 400_000), 4_000_000]);
      await page.waitForTimeout(150);
    }
    await page.locator('.node.head').click();
    await page.locator('#details-body dd[data-field="hash"]').waitFor();
    expect(await page.locator('.node.stale-tip').count()).toBe(2);
    expect(await page.locator('#interval-chart .u-title').textContent()).toBe('Block interval');
    expect(await page.locator('#hashrate-chart .u-title').textContent()).toBe('Hashrate');
    expect(await page.locator('#peers-body tr').count()).toBe(3);
    expect(await page.locator('#refusals-body tr').count()).toBe(2);
    expect(await page.locator('#interval').textContent()).toMatch(/^\d+(\.\d+)? s recent · 1\.00 s target$/);
  });
});
