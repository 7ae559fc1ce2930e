/**
 * The page's model of the block tree, and how it is folded for drawing (docs/api.md, "The
 * web view"). Pure: no DOM, so vitest runs it as is.
 *
 * The model keeps the blocks of a window of recent heights (older ones are dropped, so
 * memory stays bounded however long the page runs). Folding turns it into a small display
 * tree: the main chain, and the forks that are still recent (their tip at most `healDepth`
 * blocks below the head), with every long linear run replaced by one "N blocks" node. A fork
 * whose tip sinks deeper than `healDepth` has healed: its blocks fold away into the run that
 * holds its fork point, which then says how many stale blocks it hides.
 */

export interface ModelBlock {
  hash: string;
  height: number;
  parent: string | null;
  time: number | null;
  miner: string | null;
}

export type BlockRole = 'main' | 'fork' | 'stale-tip' | 'head';

export interface DisplayBlock {
  kind: 'block';
  key: string;
  block: ModelBlock;
  role: BlockRole;
  /** Blocks of healed forks that hang off this block, folded away. */
  stale: number;
  children: DisplayNode[];
}

export interface DisplayFold {
  kind: 'fold';
  key: string;
  /** Blocks of the run (not counting hidden forks). */
  count: number;
  fromHeight: number;
  toHeight: number;
  first: string;
  last: string;
  /** Blocks of healed forks folded into this run. */
  stale: number;
  /** On the main chain (a run of a recent fork otherwise). */
  main: boolean;
  children: DisplayNode[];
}

export type DisplayNode = DisplayBlock | DisplayFold;

export interface FoldOptions {
  /** A fork whose tip is more than this many blocks below the head has healed and folds away. */
  healDepth?: number;
  /** Main-chain blocks at the top that are always drawn (the head and a few below it). */
  keepTop?: number;
  /** A linear run shorter than this is drawn block by block. */
  minFold?: number;
  /** Blocks that must be drawn whatever the rule (the selected one, nodes' heads). */
  marked?: ReadonlySet<string>;
}

export const DEFAULT_HEAL_DEPTH = 6;

export class TreeModel {
  /** Heights kept below the head. */
  readonly window: number;
  readonly #blocks = new Map<string, ModelBlock>();
  readonly #children = new Map<string, string[]>();
  #head: string | undefined;
  #lowest = 0;

  constructor(window = 2_000) {
    this.window = window;
  }

  get size(): number {
    return this.#blocks.size;
  }

  get head(): ModelBlock | undefined {
    return this.#head === undefined ? undefined : this.#blocks.get(this.#head);
  }

  get(hash: string): ModelBlock | undefined {
    return this.#blocks.get(hash);
  }

  has(hash: string): boolean {
    return this.#blocks.has(hash);
  }

  /** Adds a block (again is a no-op); returns whether it was new. */
  add(block: ModelBlock): boolean {
    if (this.#blocks.has(block.hash) || block.height < this.#lowest) return false;
    this.#blocks.set(block.hash, block);
    if (block.parent !== null) {
      const siblings = this.#children.get(block.parent);
      if (siblings) siblings.push(block.hash);
      else this.#children.set(block.parent, [block.hash]);
    }
    return true;
  }

  /** Sets the head (a block already added); drops blocks that fell out of the window. */
  setHead(hash: string): void {
    const head = this.#blocks.get(hash);
    if (!head) return;
    this.#head = hash;
    const lowest = Math.max(0, head.height - this.window + 1);
    // Dropping is amortized: only when the window has moved by a tenth, one pass over the map.
    if (lowest - this.#lowest >= Math.max(1, Math.floor(this.window / 10))) {
      for (const [key, block] of this.#blocks) {
        if (block.height < lowest) {
          this.#blocks.delete(key);
          this.#children.delete(key);
        }
      }
      this.#lowest = lowest;
    }
  }

  children(hash: string): readonly string[] {
    return this.#children.get(hash) ?? [];
  }

  /** Hashes of the main chain (head to the lowest block held). */
  mainChain(): Set<string> {
    const main = new Set<string>();
    for (let block = this.head; block; block = block.parent === null ? undefined : this.#blocks.get(block.parent)) {
      main.add(block.hash);
    }
    return main;
  }

  /** Blocks in ascending height (parents before children). */
  ascending(): ModelBlock[] {
    return [...this.#blocks.values()].sort((a, b) => a.height - b.height);
  }

  /** The display tree (undefined before a head is known). */
  fold(options: FoldOptions = {}): DisplayNode | undefined {
    return foldTree(this, options);
  }
}

/** Everything TreeModel.fold needs, so the network view can fold a merged tree too. */
export interface FoldableTree {
  readonly head: ModelBlock | undefined;
  get(hash: string): ModelBlock | undefined;
  children(hash: string): readonly string[];
  mainChain(): Set<string>;
  ascending(): ModelBlock[];
}

export function foldTree(tree: FoldableTree, options: FoldOptions = {}): DisplayNode | undefined {
  const head = tree.head;
  if (!head) return undefined;
  const healDepth = options.healDepth ?? DEFAULT_HEAL_DEPTH;
  const keepTop = options.keepTop ?? 3;
  const minFold = options.minFold ?? 3;
  const marked = options.marked ?? new Set<string>();
  const main = tree.mainChain();
  const blocks = tree.ascending();
  // The display starts at the lowest main-chain block held; forks rooted below it are not drawn.
  let root: ModelBlock | undefined;
  for (const block of blocks) {
    if (main.has(block.hash)) {
      root = block;
      break;
    }
  }
  if (!root) return undefined;

  // Highest height reached by each block's subtree, children first (descending heights).
  const reach = new Map<string, number>();
  for (let i = blocks.length - 1; i >= 0; i--) {
    const block = blocks[i]!;
    let highest = block.height;
    for (const child of tree.children(block.hash)) highest = Math.max(highest, reach.get(child) ?? -1);
    reach.set(block.hash, highest);
  }
  const healedBelow = head.height - healDepth;
  const visible = (hash: string): boolean =>
    main.has(hash) || marked.has(hash) || (reach.get(hash) ?? -1) >= healedBelow || markedBelow(hash);
  // A marked block (a node's head) keeps its whole branch visible.
  const markedAncestors = new Set<string>();
  for (const hash of marked) {
    for (let block = tree.get(hash); block && !main.has(block.hash);) {
      markedAncestors.add(block.hash);
      block = block.parent === null ? undefined : tree.get(block.parent);
    }
  }
  function markedBelow(hash: string): boolean {
    return markedAncestors.has(hash);
  }

  // Hidden (healed) blocks counted on their nearest visible ancestor.
  const hiddenUnder = new Map<string, number>();
  const anchor = new Map<string, string>();
  for (const block of blocks) {
    if (visible(block.hash) || block.parent === null) continue;
    const parentAnchor = visible(block.parent) ? block.parent : anchor.get(block.parent);
    if (parentAnchor === undefined) continue;
    anchor.set(block.hash, parentAnchor);
    hiddenUnder.set(parentAnchor, (hiddenUnder.get(parentAnchor) ?? 0) + 1);
  }

  const visibleChildren = (hash: string): string[] => {
    const children = tree.children(hash).filter(visible);
    // The main-chain child first: the trunk keeps its place, forks hang to its side.
    return children.sort((a, b) => Number(main.has(b)) - Number(main.has(a)));
  };
  const topKept = head.height - keepTop + 1;
  const interesting = (block: ModelBlock): boolean => {
    if (block === root || marked.has(block.hash)) return true;
    if (main.has(block.hash) && block.height >= topKept) return true;
    if (visibleChildren(block.hash).length !== 1) return true;
    const parent = block.parent === null ? undefined : tree.get(block.parent);
    return parent !== undefined && visibleChildren(parent.hash).length !== 1;
  };
  const role = (block: ModelBlock): BlockRole => {
    if (block.hash === head.hash) return 'head';
    if (main.has(block.hash)) return 'main';
    return tree.children(block.hash).length === 0 ? 'stale-tip' : 'fork';
  };
  const display = (block: ModelBlock): DisplayBlock => ({
    kind: 'block',
    key: block.hash,
    block,
    role: role(block),
    stale: hiddenUnder.get(block.hash) ?? 0,
    children: [],
  });

  // Walks runs with an explicit stack: each task attaches the run that starts at `start`.
  const top = display(root);
  const stack: Array<{ start: string; attach: DisplayNode }> = visibleChildren(root.hash).map((start) => ({
    start,
    attach: top,
  }));
  while (stack.length > 0) {
    const task = stack.pop()!;
    let attach = task.attach;
    let hash: string | undefined = task.start;
    const pending: ModelBlock[] = [];
    const flush = (): void => {
      if (pending.length >= minFold) {
        const first = pending[0]!;
        const last = pending[pending.length - 1]!;
        const fold: DisplayFold = {
          kind: 'fold',
          key: `fold:${first.hash}`,
          count: pending.length,
          fromHeight: first.height,
          toHeight: last.height,
          first: first.hash,
          last: last.hash,
          stale: pending.reduce((sum, block) => sum + (hiddenUnder.get(block.hash) ?? 0), 0),
          main: main.has(first.hash),
          children: [],
        };
        attach.children.push(fold);
        attach = fold;
      } else {
        for (const block of pending) {
          const node = display(block);
          attach.children.push(node);
          attach = node;
        }
      }
      pending.length = 0;
    };
    while (hash !== undefined) {
      const block = tree.get(hash)!;
      const next = visibleChildren(hash);
      if (interesting(block)) {
        flush();
        const node = display(block);
        attach.children.push(node);
        attach = node;
        // Forks pushed first, trunk last: the trunk is walked first (the order does not change the result).
        for (let i = next.length - 1; i >= 1; i--) stack.push({ start: next[i]!, attach: node });
        hash = next[0];
      } else {
        pending.push(block);
        hash = next[0];
      }
    }
    flush();
  }
  return top;
}

/** Nodes of a display tree, depth first (for tests and counting). */
export function displayNodes(root: DisplayNode | undefined): DisplayNode[] {
  const nodes: DisplayNode[] = [];
  const stack = root ? [root] : [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    nodes.push(node);
    stack.push(...node.children);
  }
  return nodes;
}
