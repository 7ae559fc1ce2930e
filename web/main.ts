/**
 * The node's web page (served at `/`): a header with the chain's numbers, the live block
 * tree, a block's details on click, charts of block interval and hashrate, and the peers
 * and recent refusals. It loads the recent tree once, then follows `/api/events`; drawing
 * is batched to one pass per animation frame however fast blocks arrive.
 */
import type { ApiBlock, ApiPeer, ApiRefusal, ApiStatus, ApiTree, ApiTreeBlock } from '../src/api/source.js';
import { ApiRequestError, getJson, listen, type StreamState } from './api.js';
import { HashrateChart, IntervalChart } from './charts.js';
import { formatAgo, formatDuration, formatHashrate, formatScaled, shortHash } from './format.js';
import { blockDetails, foldDetails } from './details.js';
import { type DisplayNode, TreeModel } from './tree-model.js';
import { TreeView } from './tree-view.js';
import { byId, clear, row, setText } from './dom.js';
import './style.css';

/** Heights the page keeps in memory below the head. */
const WINDOW = 2_000;
const PEERS_EVERY_MS = 3_000;

const model = new TreeModel(WINDOW);
let status: ApiStatus | undefined;
let selected: DisplayNode | undefined;
let renderQueued = false;
let chartHead: string | undefined;

const treeView = new TreeView(byId('tree'), (node) => select(node));
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
  const marked = selected?.kind === 'block' ? new Set([selected.key]) : undefined;
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

async function select(node: DisplayNode): Promise<void> {
  selected = node;
  scheduleRender();
  const body = byId('details-body');
  if (node.kind === 'fold') {
    clear(body).append(foldDetails(node));
    return;
  }
  let block: ApiBlock;
  try {
    block = await getJson<ApiBlock>(`/api/blocks/${node.key}`);
  } catch (error) {
    clear(body).textContent = (error as Error).message;
    return;
  }
  if (selected !== node) return;
  clear(body).append(blockDetails(block));
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
    if (type === 'block') {
      if (model.add((data as { block: ApiTreeBlock }).block)) scheduleRender();
    } else if (type === 'head') {
      const { hash, height } = data as { hash: string; height: number };
      if (!model.has(hash)) void loadTree();
      model.setHead(hash);
      setText('height', height.toLocaleString('en-US'));
      setText('head', shortHash(hash, 16), hash);
      scheduleRender();
      refreshStatusSoon();
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
window.setInterval(() => void loadPeers().catch(() => undefined), PEERS_EVERY_MS);
