/**
 * devnet's network page (served by src/api/network-view.ts): one card per node, and the
 * nodes' block trees merged into one picture. Each node's head is drawn and named; a block
 * on every node's main chain is "agreed", one on only some is "contested", so a fork shows
 * as two named tips and its resolution as the names meeting on one tip again.
 */
import type { ApiBlock, ApiStatus, ApiTree, ApiTreeBlock } from '../src/api/source.js';
import type { NetworkNodeInfo } from '../src/api/network-view.js';
import { getJson, listen } from './api.js';
import { blockDetails, foldDetails } from './details.js';
import { byId, clear, setText } from './dom.js';
import { formatHashrate, shortHash } from './format.js';
import { type DisplayNode, TreeModel } from './tree-model.js';
import { TreeView } from './tree-view.js';
import './style.css';

const STATUS_EVERY_MS = 2_000;

interface NodeState {
  info: NetworkNodeInfo;
  head: string | undefined;
  height: number | undefined;
  hashrate: number | undefined;
  card: HTMLElement;
}

const merged = new TreeModel(2_000);
const nodes: NodeState[] = [];
let selected: DisplayNode | undefined;
let renderQueued = false;

const treeView = new TreeView(byId('tree'), (node) => void select(node));

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

/** The merged tree's head: the highest of the nodes' heads (the first node's on a tie). */
function bestHead(): string | undefined {
  let best: ApiTreeBlock | undefined;
  for (const node of nodes) {
    const head = node.head === undefined ? undefined : (merged.get(node.head) as ApiTreeBlock | undefined);
    if (head && (!best || head.height > best.height)) best = head;
  }
  return best?.hash;
}

function mainChainOf(head: string | undefined): Set<string> {
  const chain = new Set<string>();
  for (let block = head === undefined ? undefined : merged.get(head); block;) {
    chain.add(block.hash);
    block = block.parent === null ? undefined : merged.get(block.parent);
  }
  return chain;
}

function render(): void {
  const head = bestHead();
  if (head !== undefined) merged.setHead(head);
  const labels = new Map<string, string[]>();
  const marked = new Set<string>();
  const chains = nodes.map((node) => mainChainOf(node.head));
  for (const node of nodes) {
    if (node.head === undefined) continue;
    marked.add(node.head);
    labels.set(node.head, [...(labels.get(node.head) ?? []), node.info.name]);
  }
  const classes = new Map<string, string>();
  const counted = new Map<string, number>();
  for (const chain of chains) for (const hash of chain) counted.set(hash, (counted.get(hash) ?? 0) + 1);
  const live = nodes.filter((node) => node.head !== undefined).length;
  for (const [hash, count] of counted) classes.set(hash, count === live ? 'agreed' : 'contested');
  if (selected?.kind === 'block') marked.add(selected.key);
  treeView.render(merged.fold({ marked }), { labels, classes, ...(selected ? { selected: selected.key } : {}) });
  renderSummary();
}

function renderSummary(): void {
  const heads = new Set(nodes.map((node) => node.head).filter((head) => head !== undefined));
  const up = nodes.filter((node) => node.info.up).length;
  setText(
    'summary',
    `${nodes.length} nodes · ${up} up · ${heads.size <= 1 ? 'all on one head' : `${heads.size} different heads`}`,
  );
}

function renderCard(node: NodeState): void {
  const { card, info } = node;
  card.className = `panel node-card${info.up ? '' : ' down'}`;
  card.dataset.up = String(info.up);
  const status: ApiStatus | null = info.status;
  const rows: Array<[string, string]> = [
    ['api', info.url],
    ['state', info.up ? 'up' : 'down'],
    ['height', node.height === undefined ? '–' : String(node.height)],
    ['head', node.head === undefined ? '–' : shortHash(node.head, 16)],
    ['hashrate', formatHashrate(node.hashrate ?? status?.hashrate.total)],
    ['peers', status ? String(status.peers) : '–'],
  ];
  const title = document.createElement('h2');
  title.textContent = info.name;
  const list = document.createElement('dl');
  for (const [name, value] of rows) {
    const term = document.createElement('dt');
    term.textContent = name;
    const definition = document.createElement('dd');
    definition.textContent = value;
    definition.dataset.field = name;
    list.append(term, definition);
  }
  clear(card).append(title, list);
}

async function loadTree(node: NodeState): Promise<void> {
  try {
    const tree = await getJson<ApiTree>(`/api/nodes/${node.info.index}/tree`);
    for (const block of tree.blocks) merged.add(block);
    node.head = tree.head;
    node.height = (merged.get(tree.head) as ApiTreeBlock | undefined)?.height;
    renderCard(node);
    scheduleRender();
  } catch {
    // The node is down or has no chain yet: its card says so, and the next status poll retries.
  }
}

async function loadNetwork(): Promise<void> {
  const { nodes: infos } = await getJson<{ nodes: NetworkNodeInfo[] }>('/api/network');
  for (const info of infos) {
    let node = nodes[info.index];
    if (!node) {
      const card = document.createElement('section');
      card.dataset.node = String(info.index);
      byId('nodes').append(card);
      node = { info, head: undefined, height: undefined, hashrate: undefined, card };
      nodes[info.index] = node;
    }
    node.info = info;
    if (info.status && (node.head === undefined || !merged.has(info.status.head))) void loadTree(node);
    renderCard(node);
  }
  renderSummary();
}

async function select(node: DisplayNode): Promise<void> {
  selected = node;
  scheduleRender();
  const body = byId('details-body');
  if (node.kind === 'fold') {
    clear(body).append(foldDetails(node));
    return;
  }
  // Ask a node that has the block (any node whose tree holds it answers the same block).
  const holders = nodes.filter((state) => mainChainOf(state.head).has(node.key));
  const asked = holders[0] ?? nodes.find((state) => state.info.up);
  if (!asked) return;
  try {
    const block = await getJson<ApiBlock>(`/api/nodes/${asked.info.index}/blocks/${node.key}`);
    if (selected !== node) return;
    const onMainOf = holders.map((state) => state.info.name).join(', ') || 'none';
    clear(body).append(blockDetails(block, [['on the main chain of', onMainOf]], false));
  } catch (error) {
    clear(body).textContent = (error as Error).message;
  }
}

listen(
  '/api/events',
  ['node', 'block', 'head', 'hashrate'],
  (type, data) => {
    const event = data as { node: number } & Record<string, unknown>;
    const node = nodes[event.node];
    if (!node) return;
    if (type === 'node') {
      node.info = { ...node.info, up: event.up === true };
      // Its tree once it has a chain: the status says so (a node waiting for its genesis answers 503).
      if (node.info.up) void loadNetwork().catch(() => undefined);
      renderCard(node);
      renderSummary();
    } else if (type === 'block') {
      if (merged.add(event.block as ApiTreeBlock)) scheduleRender();
    } else if (type === 'head') {
      node.head = event.hash as string;
      node.height = event.height as number;
      if (!merged.has(node.head)) void loadTree(node);
      renderCard(node);
      scheduleRender();
    } else if (type === 'hashrate') {
      node.hashrate = event.total as number;
      renderCard(node);
    }
  },
  (state) => {
    const badge = byId('stream');
    badge.className = `stream ${state}`;
    badge.textContent = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
  },
);

void loadNetwork();
window.setInterval(() => void loadNetwork().catch(() => undefined), STATUS_EVERY_MS);
