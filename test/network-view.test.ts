/**
 * devnet's network view against three fake nodes, each behind its own API server on
 * 127.0.0.1: the merged event stream and the pass-through routes, then the page in a real
 * browser watching a fork between nodes appear and resolve; the same with three real
 * powchain nodes in this process on a partitioned MemoryNetwork; and `powchain devnet --web`
 * with real node processes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { FakeSource } from '../src/api/fake-source.js';
import { startApiServer, type RunningServer } from '../src/api/server.js';
import { startNetworkView } from '../src/api/network-view.js';
import { DEFAULT_HEAL_DEPTH } from '../web/tree-model.js';
import { buildWeb } from '../scripts/build-web.js';
import { type Browser, launchBrowser } from './helpers/browser.js';
import { readEvents } from './helpers/sse.js';
import { POWCHAIN_BIN, runCli } from './helpers/cli.js';
import { MemoryNetwork } from './helpers/memory-network.js';
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

/** With POWCHAIN_SCREENSHOT=1 the real nodes' fork test also writes the README's picture of the network view. */

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(read: () => T | Promise<T>, options: { timeout?: number } = {}) =>
  expect.poll(read, { timeout: 10_000, ...options });

const NETWORK_SCREENSHOT = fileURLToPath(new URL('../docs/network-view.png', import.meta.url));

const servers: RunningServer[] = [];
afterEach(async () => {
  // The view first (it holds streams to the nodes), then the nodes.
  for (const server of servers.splice(0).reverse()) await server.close();
});

/** Copies `tip` and whatever `to` lacks of its ancestors from one fake node to another, oldest first. */
function relay(from: FakeSource, to: FakeSource, tip: string, fromName: string): void {
  const missing: string[] = [];
  for (let hash: string | null = tip; hash !== null && !to.block(hash); hash = from.block(hash)!.parent) {
    missing.push(hash);
  }
  for (const hash of missing.reverse()) to.receive(from.block(hash)!, fromName);
}

interface Network {
  sources: FakeSource[];
  nodes: RunningServer[];
  view: RunningServer;
}

async function startNetwork(count = 3): Promise<Network> {
  const sources = Array.from({ length: count }, (_, i) => new FakeSource({ seed: `node${i}`, genesis: i === 0 }));
  const genesis = sources[0]!.head!.hash;
  for (const source of sources.slice(1)) relay(sources[0]!, source, genesis, '127.0.0.1:5000');
  const nodes: RunningServer[] = [];
  for (const source of sources) {
    const node = await startApiServer({ source, rateLimit: false });
    servers.push(node);
    nodes.push(node);
  }
  const view = await startNetworkView({
    nodes: nodes.map((node, i) => ({ name: `node ${i}`, url: node.url })),
    rateLimit: false,
    maxRetryMs: 200,
  });
  servers.push(view);
  return { sources, nodes, view };
}

describe('the network view server', () => {
  it('lists the nodes with their status and passes tree and block requests through', async () => {
    const { sources, view } = await startNetwork(2);
    const { nodes } = (await (await fetch(`${view.url}/api/network`)).json()) as {
      nodes: Array<{ index: number; name: string; status: { height: number } | null }>;
    };
    expect(nodes.map((node) => [node.index, node.name, node.status?.height])).toEqual([
      [0, 'node 0', 0],
      [1, 'node 1', 0],
    ]);
    const tip = sources[1]!.extend(2);
    const tree = (await (await fetch(`${view.url}/api/nodes/1/tree?since=0`)).json()) as { head: string };
    expect(tree.head).toBe(tip);
    const block = await fetch(`${view.url}/api/nodes/1/blocks/${tip.toUpperCase()}`);
    expect(((await block.json()) as { hash: string }).hash).toBe(tip);
    expect((await fetch(`${view.url}/api/nodes/0/blocks/${tip}`)).status).toBe(404);
    expect(await (await fetch(`${view.url}/api/nodes/2/tree`)).json()).toEqual({ error: 'no node 2: there are 2' });
    expect((await fetch(`${view.url}/api/nodes/x/tree`)).status).toBe(400);
    expect((await fetch(`${view.url}/api/nodes/0/tree?since=-1`)).status).toBe(400);
  });

  it("merges the nodes' events, tagged with the node, and reports a node going down", async () => {
    const { sources, nodes, view } = await startNetwork(2);
    const stream = await readEvents(`${view.url}/api/events`);
    try {
      // Both feeds connect (the order depends on timing).
      const ups = await stream.next(2);
      expect(
        ups.map((event) => event.data).sort((a, b) => (a as { node: number }).node - (b as { node: number }).node),
      ).toEqual([
        { type: 'node', node: 0, up: true },
        { type: 'node', node: 1, up: true },
      ]);
      const tip = sources[1]!.extend(1);
      const [block, head] = await stream.next(2);
      expect(block!.data).toMatchObject({ type: 'block', node: 1, block: { hash: tip } });
      expect(head!.data).toEqual({ type: 'head', node: 1, height: 1, hash: tip });
      await nodes[0]!.close();
      expect((await stream.next(1))[0]!.data).toEqual({ type: 'node', node: 0, up: false });
      const down = await fetch(`${view.url}/api/nodes/0/tree`);
      expect(down.status).toBe(502);
      expect(((await down.json()) as { error: string }).error).toMatch(
        /^node 0 \(http:\/\/127\.0\.0\.1:\d+\) did not answer/,
      );
    } finally {
      stream.close();
    }
  });
});

describe('the network view server on a port it cannot have', () => {
  it('refuses to start and leaves nothing running', async () => {
    const source = new FakeSource();
    const node = await startApiServer({ source, rateLimit: false });
    servers.push(node);
    const busy = await startApiServer({ source: new FakeSource(), rateLimit: false });
    servers.push(busy);
    // The node's own answer cache listens to its source; an event stream would add one more.
    const listening = source.listenerCount;
    await expect(
      startNetworkView({ nodes: [{ name: 'node 0', url: node.url }], port: busy.port, maxRetryMs: 200 }),
    ).rejects.toThrow(/EADDRINUSE/);
    // Its feed of the node's events was started before the bind failed; it must have stopped.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(source.listenerCount).toBe(listening);
  });
});

describe('the network view page', () => {
  let browser: Browser;
  const pages: Page[] = [];
  beforeAll(async () => {
    await buildWeb();
    browser = await launchBrowser();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
    expect(browser.errors).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows every node, a fork between them, and its resolution', async () => {
    const { sources, view } = await startNetwork(3);
    const [a, b, c] = sources as [FakeSource, FakeSource, FakeSource];
    let tip = a.extend(5, { miner: 'node 0' });
    relay(a, b, tip, 'node 0');
    relay(a, c, tip, 'node 0');
    const page = await browser.open(`${view.url}/`);
    pages.push(page);
    await page.locator('#stream.live').waitFor();
    await poll(() => page.locator('.node-card[data-up="true"]').count()).toBe(3);
    await poll(() => page.locator('#summary').textContent()).toBe('3 nodes · 3 up · all on one head');
    await poll(() => page.locator(`.node[data-key="${tip}"] text.badge`).textContent()).toBe('node 0 node 1 node 2');

    // A partition: nodes 0 and 1 go on together, node 2 mines its own block on the same parent.
    tip = a.extend(2, { miner: 'node 0' });
    relay(a, b, tip, 'node 0');
    const lone = c.extend(1, { miner: 'node 2' });
    await poll(() => page.locator('#summary').textContent()).toBe('3 nodes · 3 up · 2 different heads');
    await poll(() => page.locator(`.node[data-key="${lone}"] text.badge`).textContent()).toBe('node 2');
    expect(await page.locator(`.node[data-key="${tip}"] text.badge`).textContent()).toBe('node 0 node 1');
    expect(await page.locator(`.node.contested[data-key="${lone}"]`).count()).toBe(1);

    // Healed: node 2 hears the longer chain and follows it; its lone block is a stale tip, then folds away.
    relay(a, c, tip, 'node 0');
    await poll(() => page.locator('#summary').textContent()).toBe('3 nodes · 3 up · all on one head');
    await page.locator(`.node.stale-tip[data-key="${lone}"]`).waitFor();
    tip = a.extend(DEFAULT_HEAL_DEPTH, { miner: 'node 0' });
    relay(a, b, tip, 'node 0');
    relay(a, c, tip, 'node 0');
    await page.locator(`.node[data-key="${lone}"]`).waitFor({ state: 'detached' });
    await poll(() => page.locator(`.node[data-key="${tip}"] text.badge`).textContent()).toBe('node 0 node 1 node 2');
    expect(await page.locator('.node.fold[data-stale="1"]').count()).toBe(1);
  });
});

describe('the network view of real nodes', () => {
  let browser: Browser;
  const cleanups: Array<() => Promise<void> | void> = [];
  beforeAll(async () => {
    await buildWeb();
    browser = await launchBrowser();
  }, 60_000);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    expect(browser.errors).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows a partition's fork between real nodes, which node holds which tip, and its resolution", async () => {
    const network = new MemoryNetwork({ maxDelayMs: 3, seed: 4 });
    cleanups.push(() => network.close());
    const peers = [0, 1, 2].map(nodeAddress);
    const alice = wallet('alice');
    const bob = wallet('bob');
    const nodes: ApiNode[] = [];
    for (const index of [2, 1, 0]) {
      // Three miners of 40 kH/s each, a block every ~300 ms between them (32,768 hashes a block).
      const node = await startApiNode({
        network,
        index,
        peers,
        payTo: index === 0 ? alice : bob,
        ...(index === 0 ? { genesis: { ...LIVE_PARAMS, initialTarget: 1n << 241n } } : {}),
      });
      cleanups.push(() => node.stop());
      nodes[index] = node;
    }
    const [a, b, c] = nodes as [ApiNode, ApiNode, ApiNode];
    const view = await startNetworkView({
      nodes: nodes.map((node) => ({ name: `node ${node.index}`, url: node.api.url })),
      rateLimit: false,
      maxRetryMs: 200,
    });
    cleanups.push(() => view.close());
    const page = await browser.open(`${view.url}/`);
    cleanups.push(() => page.close());
    await page.locator('#stream.live').waitFor();
    await poll(() => page.locator('.node-card[data-up="true"]').count()).toBe(3);

    // They mine together; alice pays bob.
    for (const node of nodes) node.miner.run();
    await until(() => spendableCoins(a, alice).length >= 1, 30_000, 'a coin for alice');
    const paid = await sendCoins(a, alice, bob, 700_000_000n, 1_000n);
    await until(() => nodes.every((node) => node.node.chainState?.confirmed(paid)), 30_000, 'the payment confirmed');
    /** Stops every miner and waits for one head (a tie of equal work, each node keeping its first seen, broken by one more block of node 0). */
    const settleOnOneHead = async () => {
      for (const node of nodes) node.miner.pause();
      const oneHead = () => new Set(nodes.map((node) => node.node.tree!.head.hash)).size === 1;
      await until(oneHead, 2_000, 'one head').catch(async () => {
        a.miner.allow(1);
        await until(oneHead, 10_000, 'one head after a tie-breaking block');
      });
    };
    await settleOnOneHead();
    await poll(() => page.locator('#summary').textContent()).toBe('3 nodes · 3 up · all on one head');

    // Node 2 is cut off and mines one block alone; nodes 0 and 1 mine two.
    network.partition([c.address], [a.address, b.address]);
    const from = a.node.tree!.head.height;
    c.miner.allow(1);
    await until(() => c.node.tree!.head.height === from + 1, 10_000, 'node 2 alone');
    const lone = c.node.tree!.head.hash;
    a.miner.allow(1);
    await until(() => b.node.tree!.head.height === from + 1, 10_000, 'a block of node 0');
    b.miner.allow(1);
    await until(() => a.node.tree!.head.height === from + 2, 10_000, 'a block of node 1');
    const tip = a.node.tree!.head.hash;
    await poll(() => page.locator('#summary').textContent()).toBe('3 nodes · 3 up · 2 different heads');
    await poll(() => page.locator(`.node[data-key="${lone}"] text.badge`).textContent()).toBe('node 2');
    await poll(() => page.locator(`.node[data-key="${tip}"] text.badge`).textContent()).toBe('node 0 node 1');
    expect(await page.locator(`.node.contested[data-key="${lone}"]`).count()).toBe(1);
    await page.locator(`.node[data-key="${lone}"]`).click();
    await poll(() => page.locator('#details-body dd[data-field="on the main chain of"]').textContent()).toBe('node 2');
    if (process.env.POWCHAIN_SCREENSHOT) await page.screenshot({ path: NETWORK_SCREENSHOT, fullPage: true });

    // Healed: node 2 follows the longer branch; its block is a stale tip, then folds away.
    network.heal();
    await poll(() => page.locator('#summary').textContent()).toBe('3 nodes · 3 up · all on one head');
    await page.locator(`.node.stale-tip[data-key="${lone}"]`).waitFor();
    await page.locator(`.node[data-key="${tip}"]`).click();
    for (const node of nodes) node.miner.run();
    await until(() => c.node.tree!.head.height >= from + 2 + DEFAULT_HEAL_DEPTH, 20_000, 'the fork buried');
    await settleOnOneHead();
    await page.locator(`.node[data-key="${lone}"]`).waitFor({ state: 'detached' });
    await poll(() => page.locator(`.node.head text.badge`).allTextContents()).toEqual(['node 0 node 1 node 2']);
  });
});

describe('powchain devnet --web', () => {
  let browser: Browser;
  beforeAll(async () => {
    await buildWeb();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('says so and starts no node when the view cannot have its port', async () => {
    const busy = await startApiServer({ source: new FakeSource(), rateLimit: false });
    servers.push(busy);
    const result = await runCli(['devnet', '--web', `127.0.0.1:${busy.port}`, '--target', '2^250'], '', 30_000);
    expect(result.stdout).toContain(
      `devnet: cannot serve the network view on 127.0.0.1:${busy.port}: the port is already in use`,
    );
    expect(result.stdout).not.toMatch(/height\s+0/);
    expect(result.code).toBe(2);
  });

  it('serves the network view of its real node processes, prints its URL, and closes it at the end', async () => {
    const devnet = spawn(
      process.execPath,
      [POWCHAIN_BIN, 'devnet', '--web', '--nodes', '3', '--height', '20', '--block-interval', '400', '--threads', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    devnet.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => devnet.on('close', resolve));
    let page: Page | undefined;
    try {
      await poll(() => /network view at (http:\/\/127\.0\.0\.1:\d+)\//.test(stdout), { timeout: 30_000 }).toBe(true);
      const url = /network view at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)![1]!;
      page = await browser.open(`${url}/`);
      await page.locator('#stream.live').waitFor();
      // Every node's API is on 127.0.0.1 and its UDP port number, and comes up.
      const ports = /nodes on the powchain network at (.*?);/.exec(stdout)![1]!.split(', ');
      await poll(() => page!.locator('.node-card[data-up="true"]').count(), { timeout: 30_000 }).toBe(3);
      expect(await page.locator('.node-card dd[data-field="api"]').allTextContents()).toEqual(
        ports.map((address) => `http://${address}`),
      );
      // The nodes mine: the merged tree grows, and each node's head is named on it.
      // The highest head drawn (heights pass quickly: any one of them may never be on screen).
      const highestHead = (): Promise<number> =>
        page!.evaluate<number>(
          `Math.max(-1, ...Array.from(document.querySelectorAll('.node.head'), (node) => Number(node.dataset.height)))`,
        );
      await poll(highestHead, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
      await poll(() => page!.locator('text.badge').allTextContents()).toContainEqual(
        expect.stringMatching(/^node \d( node \d)*$/),
      );
      await page.close();
      expect(browser.errors).toEqual([]);
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/devnet: all 3 nodes agree/);
      // Closed with devnet.
      await expect(fetch(`${url}/api/network`)).rejects.toThrow();
    } finally {
      await page?.close();
      if (devnet.exitCode === null && devnet.signalCode === null) {
        // SIGTERM first: devnet stops its node processes (a SIGKILL would leave them running).
        devnet.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        devnet.kill('SIGKILL');
      }
    }
  }, 90_000);
});
