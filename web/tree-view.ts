/**
 * Draws a folded display tree (tree-model.ts) as SVG, newest at the top. d3-hierarchy lays
 * it out; drawing is keyed by block hash (or fold), so an update moves, adds and removes
 * only what changed instead of rebuilding the picture, and the drawing never holds more
 * elements than the folded tree has nodes.
 */
import { hierarchy, tree as tidyTree } from 'd3-hierarchy';
import type { DisplayNode } from './tree-model.js';
import { shortHash } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const BOX_WIDTH = 168;
const BOX_HEIGHT = 34;
const COLUMN = 190;
const ROW = 52;
const MARGIN = 16;
const LABEL_ROOM = 160;

export interface TreeViewOptions {
  /** The hash (or fold key) shown as selected. */
  selected?: string;
  /** Extra labels by block hash (the network view: which nodes have this block as their head). */
  labels?: ReadonlyMap<string, string[]>;
  /** Extra classes by block hash (the network view: agreed or contested). */
  classes?: ReadonlyMap<string, string>;
}

interface Drawn {
  readonly group: SVGGElement;
  signature: string;
}

function element<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string> = {},
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

export class TreeView {
  readonly #svg: SVGSVGElement;
  readonly #links: SVGGElement;
  readonly #nodes: SVGGElement;
  readonly #drawn = new Map<string, Drawn>();
  readonly #linkPaths = new Map<string, SVGPathElement>();
  #current = new Map<string, DisplayNode>();

  constructor(container: HTMLElement, onSelect: (node: DisplayNode) => void) {
    this.#svg = element('svg', { class: 'tree', role: 'img', 'aria-label': 'block tree' });
    this.#links = element('g', { class: 'links' });
    this.#nodes = element('g', { class: 'nodes' });
    this.#svg.append(this.#links, this.#nodes);
    container.append(this.#svg);
    this.#svg.addEventListener('click', (event) => {
      const target = (event.target as Element).closest('[data-key]');
      const node = target ? this.#current.get(target.getAttribute('data-key')!) : undefined;
      if (node) onSelect(node);
    });
  }

  /** Elements drawn now (blocks and folds). */
  get drawnCount(): number {
    return this.#drawn.size;
  }

  render(root: DisplayNode | undefined, options: TreeViewOptions = {}): void {
    const current = new Map<string, DisplayNode>();
    if (!root) {
      this.#prune(current, new Set());
      this.#current = current;
      return;
    }
    const layout = tidyTree<DisplayNode>()
      .nodeSize([COLUMN, ROW])
      .separation((a, b) => (a.parent === b.parent ? 1 : 1.15))(hierarchy(root, (node) => node.children));
    let minX = 0;
    let maxX = 0;
    let maxDepth = 0;
    layout.each((node) => {
      minX = Math.min(minX, node.x);
      maxX = Math.max(maxX, node.x);
      maxDepth = Math.max(maxDepth, node.depth);
    });
    // Room at the right for the labels drawn beside a box (the network view's node names).
    const labelRoom = options.labels && options.labels.size > 0 ? LABEL_ROOM : 0;
    const width = maxX - minX + BOX_WIDTH + 2 * MARGIN + labelRoom;
    const height = (maxDepth + 1) * ROW + 2 * MARGIN;
    this.#svg.setAttribute('width', String(width));
    this.#svg.setAttribute('height', String(height));
    this.#svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    // Newest at the top: the deepest node is drawn in the first row.
    const place = (x: number, depth: number): [number, number] => [
      x - minX + MARGIN + BOX_WIDTH / 2,
      (maxDepth - depth) * ROW + MARGIN + BOX_HEIGHT / 2,
    ];

    const links = new Set<string>();
    layout.each((node) => {
      const data = node.data;
      current.set(data.key, data);
      const [x, y] = place(node.x, node.depth);
      this.#draw(data, x, y, options);
      if (node.parent) {
        const [px, py] = place(node.parent.x, node.parent.depth);
        const mid = (py + y) / 2;
        this.#link(data.key, `M${px},${py - BOX_HEIGHT / 2}C${px},${mid} ${x},${mid} ${x},${y + BOX_HEIGHT / 2}`, data);
        links.add(data.key);
      }
    });
    this.#prune(current, links);
    this.#current = current;
  }

  #draw(node: DisplayNode, x: number, y: number, options: TreeViewOptions): void {
    const selected = options.selected === node.key;
    let classes: string;
    let title: string;
    let subtitle: string;
    let badge = '';
    if (node.kind === 'block') {
      classes = `node block ${node.role}${options.classes?.get(node.key) ? ' ' + options.classes.get(node.key) : ''}`;
      title = `#${node.block.height}  ${shortHash(node.block.hash)}`;
      subtitle = node.block.miner ?? '';
      if (node.stale > 0) subtitle = `${subtitle} +${node.stale} stale`.trim();
      badge = options.labels?.get(node.key)?.join(' ') ?? '';
    } else {
      classes = `node fold ${node.main ? 'main' : 'fork'}${node.stale > 0 ? ' has-stale' : ''}`;
      title = `… ${node.count.toLocaleString('en-US')} blocks …`;
      subtitle = `#${node.fromHeight}–#${node.toHeight}${node.stale > 0 ? ` · ${node.stale} stale` : ''}`;
    }
    if (selected) classes += ' selected';
    const signature = `${classes}|${title}|${subtitle}|${badge}|${x}|${y}`;
    let drawn = this.#drawn.get(node.key);
    if (drawn && drawn.signature === signature) return;
    if (!drawn) {
      const group = element('g', { 'data-key': node.key, tabindex: '0' });
      group.append(
        element('rect', {
          x: String(-BOX_WIDTH / 2),
          y: String(-BOX_HEIGHT / 2),
          width: String(BOX_WIDTH),
          height: String(BOX_HEIGHT),
          rx: '6',
        }),
        element('text', { class: 'title', x: String(-BOX_WIDTH / 2 + 8), y: '-3' }),
        element('text', { class: 'subtitle', x: String(-BOX_WIDTH / 2 + 8), y: '11' }),
        element('text', { class: 'badge', x: String(BOX_WIDTH / 2 + 6), y: '4' }),
      );
      this.#nodes.append(group);
      drawn = { group, signature: '' };
      this.#drawn.set(node.key, drawn);
    }
    const { group } = drawn;
    group.setAttribute('class', classes);
    group.setAttribute('transform', `translate(${x},${y})`);
    if (node.kind === 'block') {
      group.setAttribute('data-height', String(node.block.height));
      group.setAttribute('data-role', node.role);
    } else {
      group.setAttribute('data-count', String(node.count));
      group.setAttribute('data-stale', String(node.stale));
    }
    const texts = group.querySelectorAll('text');
    texts[0]!.textContent = title;
    texts[1]!.textContent = subtitle;
    texts[2]!.textContent = badge;
    drawn.signature = signature;
  }

  #link(key: string, path: string, child: DisplayNode): void {
    let element_ = this.#linkPaths.get(key);
    if (!element_) {
      element_ = element('path');
      this.#links.append(element_);
      this.#linkPaths.set(key, element_);
    }
    const onMain = child.kind === 'block' ? child.role === 'main' || child.role === 'head' : child.main;
    element_.setAttribute('class', onMain ? 'link main' : 'link fork');
    element_.setAttribute('d', path);
  }

  #prune(current: Map<string, DisplayNode>, links: Set<string>): void {
    for (const [key, drawn] of this.#drawn) {
      if (!current.has(key)) {
        drawn.group.remove();
        this.#drawn.delete(key);
      }
    }
    for (const [key, path] of this.#linkPaths) {
      if (!links.has(key)) {
        path.remove();
        this.#linkPaths.delete(key);
      }
    }
  }
}
