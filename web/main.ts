/**
 * The node's web page (served at `/`): a header with the chain's numbers, the live block
 * tree, a details panel (a block on click, and the pages of transactions and addresses,
 * reached by links: route.ts), the mempool, charts of block interval and hashrate, and the
 * peers and recent refusals. It loads the recent tree once, then follows `/api/events`;
 * drawing is batched to one pass per animation frame however fast blocks arrive.
 */
import type {
  ApiAddress,
  ApiBlock,
  ApiMempool,
  ApiPeer,
  ApiRefusal,
  ApiStatus,
  ApiTree,
  ApiTreeBlock,
  ApiTx,
} from '../src/api/source.js';
import { ApiRequestError, getJson, listen, type StreamState } from './api.js';
import { HashrateChart, IntervalChart } from './charts.js';
import { formatAgo, formatDuration, formatHashrate, formatScaled, shortHash } from './format.js';
import { blockDetails, foldDetails } from './details.js';
import { type DisplayNode, TreeModel } from './tree-model.js';
import { TreeView } from './tree-view.js';
import { byId, clear, row, setText } from './dom.js';
import { type Route, parseRoute, routeHref } from './route.js';
import { MempoolPanel, addressDetails, txDetails } from './transactions.js';
import './style.css';

/** Heights the page keeps in memory below the head. */
const WINDOW = 2_000;
const PEERS_EVERY_MS = 3_000;

const model = new TreeModel(WINDOW);
let status: ApiStatus | undefined;
/** The tree node drawn as selected: a block's hash or a fold's key. */
let selected: { kind: DisplayNode['kind']; key: string } | undefined;
/** What the details panel shows: a route, or a folded run (which has no page of its own). */
let shown: Route | undefined;
let renderQueued = false;
let chartHead: string | undefined;

const treeView = new TreeView(byId('tree'), (node) => select(node));
const mempoolPanel = new MempoolPanel(byId('mempool-summary'), byId('mempool-txids'));
const intervalChart = new IntervalChart(byId('interval-chart'));
const hashrateChart = new HashrateChart(byId('hashrate-chart'));

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render(): void {
  const marked = selected?.kind === 'block' && model.has(selected.key) ? new Set([selected.key]) : undefined;
  treeView.render(model.fold(marked ? { marked } : {}), selected ? { selected: selected.key } : {});
  const head = model.head;
  if (head && head.hash !== chartHead) {
    chartHead = head.hash;
    renderIntervals();
  }
}

/** Intervals between consecutive main-chain blocks that carry a time (the powchain network's do). */
function renderIntervals(): void {
  const chain: ApiTreeBlock[] = [];
  const main = model.mainChain();
  for (const block of model.ascending()) if (main.has(block.hash)) chain.push(block as ApiTreeBlock);
  const points: Array<[number, number]> = [];
  for (let i = 1; i < chain.length; i++) {
    const previous = chain[i - 1]!;
    const block = chain[i]!;
    if (block.time !== null && previous.time !== null && block.height === previous.height + 1) {
      points.push([block.height, block.time - previous.time]);
    }
  }
  intervalChart.set(points);
}

function renderStatus(): void {
  if (!status) return;
  setText('network', status.name ? `${status.network} · ${status.name}` : status.network);
  setText('height', status.height.toLocaleString('en-US'));
  setText('head', shortHash(status.head, 16), status.head);
  setText('difficulty', formatScaled(status.difficulty), `target 0x${status.target}`);
  const { recent, target } = status.blockIntervalMs;
  setText(
    'interval',
    `${formatDuration(recent)} recent · ${target === null ? 'no target' : formatDuration(target) + ' target'}`,
  );
  renderHashrate(status.hashrate.total, status.hashrate.perThread, status.networkHashrate);
  setText('peers-count', String(status.peers));
  intervalChart.setTarget(target);
}

function renderHashrate(total: number, perThread: number[], network: number | null): void {
  setText('hashrate', formatHashrate(total));
  setText(
    'hashrate-threads',
    perThread.length > 1 ? perThread.map((rate) => formatHashrate(rate)).join(' · ') : `${perThread.length} thread`,
  );
  setText('network-hashrate', formatHashrate(network));
}

let statusTimer: number | undefined;
/** Refreshes the header soon (at most once a second however many events ask). */
function refreshStatusSoon(): void {
  statusTimer ??= window.setTimeout(() => {
    statusTimer = undefined;
    void loadStatus();
  }, 1_000);
}

async function loadStatus(): Promise<void> {
  try {
    status = await getJson<ApiStatus>('/api/status');
    byId('waiting').hidden = true;
    renderStatus();
    // The mempool's numbers change with every block and transaction: its list is read again with the status.
    if (status.mempool === null) mempoolPanel.unavailable("this node's network has no transactions");
    else await loadMempool();
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 503) {
      byId('waiting').hidden = false;
      setText('waiting', error.message);
      refreshStatusSoon();
      return;
    }
    throw error;
  }
}

async function loadTree(): Promise<void> {
  let tree: ApiTree;
  try {
    tree = await getJson<ApiTree>('/api/tree');
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 503) return;
    throw error;
  }
  for (const block of tree.blocks) model.add(block);
  model.setHead(tree.head);
  scheduleRender();
}

/** A click in the tree: a block goes to its page (so the back button returns to it); a fold shows its range. */
function select(node: DisplayNode): void {
  if (node.kind === 'block') {
    go({ kind: 'block', hash: node.key });
    return;
  }
  shown = undefined;
  selected = { kind: 'fold', key: node.key };
  scheduleRender();
  setText('details-title', 'Folded run');
  clear(byId('details-body')).append(foldDetails(node));
}

function go(route: Route): void {
  const href = routeHref(route);
  if (location.hash === href) void show(route);
  else location.hash = href;
}

let showing = 0;
/** Shows a route's page in the details panel (a later call wins over an answer still on its way). */
async function show(route: Route): Promise<void> {
  const token = ++showing;
  shown = route;
  selected = route.kind === 'block' ? { kind: 'block', key: route.hash } : undefined;
  scheduleRender();
  const body = byId('details-body');
  const title = { block: 'Block', tx: 'Transaction', address: 'Address' }[route.kind];
  let content: Node;
  try {
    if (route.kind === 'block') content = blockDetails(await getJson<ApiBlock>(`/api/blocks/${route.hash}`));
    else if (route.kind === 'tx') content = txDetails(await getJson<ApiTx>(`/api/tx/${route.txid}`));
    else content = addressDetails(await getJson<ApiAddress>(`/api/address/${encodeURIComponent(route.address)}`));
  } catch (error) {
    // The API's reason (no such transaction, a network without transactions, a bad address) or the network's.
    content = document.createTextNode((error as Error).message);
  }
  if (token !== showing) return;
  setText('details-title', title);
  clear(body).append(content);
  body.dataset.shown = route.kind;
}

function onHashChange(): void {
  const route = parseRoute(location.hash);
  if (route) void show(route);
}

let routeTimer: number | undefined;
/** Shows the current page again soon (a block went stale, a transaction was confirmed, a balance moved). */
function refreshShownSoon(): void {
  if (!shown) return;
  routeTimer ??= window.setTimeout(() => {
    routeTimer = undefined;
    if (shown) void show(shown);
  }, 1_000);
}

async function loadMempool(): Promise<void> {
  try {
    mempoolPanel.set(await getJson<ApiMempool>('/api/mempool'));
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 501) mempoolPanel.unavailable(error.message);
    else if (!(error instanceof ApiRequestError)) throw error;
  }
}

async function loadPeers(): Promise<void> {
  const [{ peers }, { refusals }] = await Promise.all([
    getJson<{ peers: ApiPeer[] }>('/api/peers'),
    getJson<{ refusals: ApiRefusal[] }>('/api/refusals'),
  ]);
  const now = Date.now();
  const peerRows = clear(byId('peers-body'));
  for (const peer of peers) {
    peerRows.append(
      row(
        [
          peer.address,
          peer.extended ? 'extended' : 'tutorial',
          peer.validated ? 'yes' : 'no',
          formatAgo(peer.lastHeard, now),
          peer.banned ? 'banned' : '',
        ],
        peer.banned ? 'banned' : '',
      ),
    );
  }
  if (peers.length === 0) peerRows.append(row(['no peer has been heard from yet'], 'empty', 5));
  const refusalRows = clear(byId('refusals-body'));
  for (const refusal of refusals.slice(0, 50)) {
    refusalRows.append(
      row([formatAgo(refusal.time, now), refusal.hash ? shortHash(refusal.hash) : '–', refusal.from, refusal.reason]),
    );
  }
  if (refusals.length === 0) refusalRows.append(row(['nothing refused'], 'empty', 4));
}

function setStream(state: StreamState): void {
  const badge = byId('stream');
  badge.className = `stream ${state}`;
  badge.textContent = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
}

let lost = false;
listen(
  '/api/events',
  ['block', 'head', 'hashrate', 'tx'],
  (type, data) => {
    if (type === 'tx') {
      const { txid, block } = data as { txid: string; block: string | null };
      mempoolPanel.onTx(txid, block);
      if (shown && shown.kind !== 'block') refreshShownSoon();
      refreshStatusSoon();
    } else if (type === 'block') {
      if (model.add((data as { block: ApiTreeBlock }).block)) scheduleRender();
    } else if (type === 'head') {
      const { hash, height } = data as { hash: string; height: number };
      if (!model.has(hash)) void loadTree();
      model.setHead(hash);
      setText('height', height.toLocaleString('en-US'));
      setText('head', shortHash(hash, 16), hash);
      scheduleRender();
      refreshStatusSoon();
      refreshShownSoon();
    } else if (type === 'hashrate') {
      const { total, perThread, network } = data as { total: number; perThread: number[]; network: number | null };
      renderHashrate(total, perThread, network);
      hashrateChart.add(Date.now(), total, network);
    }
  },
  (state) => {
    setStream(state);
    if (state === 'reconnecting') lost = true;
    // Back after a drop: what happened meanwhile is not replayed, so load it again.
    if (state === 'live' && lost) {
      lost = false;
      void loadTree();
      void loadStatus();
    }
  },
);

void loadStatus().then(() => {
  if (status) hashrateChart.add(Date.now(), status.hashrate.total, status.networkHashrate);
});
void loadTree();
void loadPeers();
window.addEventListener('hashchange', onHashChange);
onHashChange();
window.setInterval(() => void loadPeers().catch(() => undefined), PEERS_EVERY_MS);
