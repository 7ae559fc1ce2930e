/**
 * Text renderings of the block tree for a terminal. renderTree draws the whole tree, the
 * job the tutorial gives to pptree; renderRecent draws only the rows a screen can show,
 * near the head, in time proportional to those rows.
 *
 * renderTree: a readable, top-down rendering of the whole block tree. The main chain runs down the left edge (●); each fork hangs off the block it
 * forks from, indented (○ for blocks off the main chain). Long linear runs are folded so a
 * long chain stays readable, and the walk uses an explicit stack, never recursion.
 *
 *   ● 0  Genesis             1a2b3c4d  root
 *   ● 1  127.0.0.1:5000:0    5e6f7a8b
 *   ├── ○ 2  127.0.0.1:5001:0    99aa00bb
 *   ● 2  127.0.0.1:5000:1    0c1d2e3f  head
 */
import type { BlockTree, TreeEntry } from '../consensus/block-tree.js';

export interface TreeViewOptions {
  /** A linear run longer than this is folded to its first and last `foldKeep` blocks. */
  foldAfter?: number;
  foldKeep?: number;
  /** Lines are cut to this many characters (the terminal's width). */
  width?: number;
  /** Characters of the hash shown. */
  hashChars?: number;
}

/** A block's data as a person would want to read it: text when it is printable, else hex. */
export function describeData(data: Uint8Array, maxChars = 32): string {
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    text = undefined;
  }
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && !/[\u0000-\u001f\u007f]/.test(text)) {
    return text.length > maxChars ? text.slice(0, maxChars - 1) + '…' : text;
  }
  const hex = Buffer.from(data.subarray(0, 8)).toString('hex');
  return `0x${hex}${data.length > 8 ? '…' : ''} (${data.length} bytes)`;
}

/** What a block says about itself: its miner's tag when the network's rules find one, else its data. */
function describeEntry(tree: BlockTree, entry: TreeEntry): string {
  const tag = entry === tree.root ? undefined : tree.rules.minerTag(entry.block, entry.facts);
  return tag !== undefined ? describeData(new TextEncoder().encode(tag)) : describeData(entry.block.data);
}

export function renderTree(tree: BlockTree, options: TreeViewOptions = {}): string {
  const foldAfter = options.foldAfter ?? 12;
  const foldKeep = options.foldKeep ?? 3;
  const hashChars = options.hashChars ?? 8;
  const width = options.width ?? Infinity;
  const heightWidth = String(tree.head.height).length;
  const lines: string[] = [];

  const label = (entry: TreeEntry): string => {
    const marks = [entry === tree.root ? 'root' : '', entry === tree.head ? 'head' : ''].filter(Boolean).join(', ');
    const mark = tree.isMain(entry) ? '●' : '○';
    const height = String(entry.height).padStart(heightWidth);
    const data = describeEntry(tree, entry).padEnd(20);
    return `${mark} ${height}  ${data}  ${entry.hash.slice(0, hashChars)}${marks ? '  ' + marks : ''}`;
  };
  const emit = (line: string): void => {
    lines.push(line.length > width ? line.slice(0, Math.max(0, width - 1)) + '…' : line);
  };
  // The child that continues a run on the same column: the main-chain child if there is
  // one, otherwise the first one seen.
  const trunkChild = (entry: TreeEntry): TreeEntry | undefined =>
    entry.children.find((child) => tree.isMain(child)) ?? entry.children[0];

  // Each task draws one run starting at `entry`; `first` is the prefix of its first line
  // (with the fork connector), `rest` the prefix of its following lines.
  const stack: Array<{ entry: TreeEntry; first: string; rest: string }> = [{ entry: tree.root, first: '', rest: '' }];
  while (stack.length > 0) {
    const task = stack.pop()!;
    const run: TreeEntry[] = [task.entry];
    let last = task.entry;
    while (last.children.length === 1) {
      last = last.children[0]!;
      run.push(last);
    }
    run.forEach((entry, index) => {
      const folded = run.length > foldAfter && index >= foldKeep && index < run.length - foldKeep;
      if (!folded) {
        emit((index === 0 ? task.first : task.rest) + label(entry));
      } else if (index === foldKeep) {
        emit(`${task.rest}┆ … ${run.length - 2 * foldKeep} blocks …`);
      }
    });
    const trunk = trunkChild(last);
    if (!trunk) continue;
    // Pushed first so it is drawn after the forks: the trunk resumes below them.
    stack.push({ entry: trunk, first: task.rest, rest: task.rest });
    const forks = last.children.filter((child) => child !== trunk);
    for (let i = forks.length - 1; i >= 0; i--) {
      stack.push({ entry: forks[i]!, first: task.rest + '├── ', rest: task.rest + '│   ' });
    }
  }
  return lines.join('\n');
}

export interface RecentViewOptions {
  /** Lines available. */
  rows: number;
  /** Lines are cut to this many characters. */
  width?: number;
  hashChars?: number;
}

/**
 * The end of the main chain near the head, as many rows as fit, in the layout of
 * renderTree: each side branch is one summary line under the block it forks from, and side
 * branches never take more than a third of the rows, so a peer that floods the node with
 * forks cannot push the main chain off the screen. Costs O(rows + side blocks shown).
 */
export function renderRecent(tree: BlockTree, options: RecentViewOptions): string {
  const rows = Math.max(3, options.rows);
  const width = options.width ?? Infinity;
  const hashChars = options.hashChars ?? 8;
  const heightWidth = String(tree.head.height).length;
  let sideRows = Math.floor(rows / 3);
  let hiddenForks = 0;
  // Built from the head down, reversed at the end.
  const lines: string[] = [];
  const cut = (line: string): string => (line.length > width ? line.slice(0, Math.max(0, width - 1)) + '…' : line);
  let height = tree.head.height;
  for (; height >= 0 && lines.length < rows - 2; height--) {
    const entry = tree.mainAt(height)!;
    const forks = entry.children.filter((child) => !tree.isMain(child));
    for (let i = forks.length - 1; i >= 0; i--) {
      if (sideRows === 0) {
        hiddenForks++;
        continue;
      }
      sideRows--;
      lines.push(cut(`├── ${describeBranch(tree, forks[i]!, hashChars)}`));
    }
    const marks = [entry === tree.root ? 'root' : '', entry === tree.head ? 'head' : ''].filter(Boolean).join(', ');
    const data = describeEntry(tree, entry).padEnd(20);
    lines.push(
      cut(
        `● ${String(entry.height).padStart(heightWidth)}  ${data}  ${entry.hash.slice(0, hashChars)}${marks ? '  ' + marks : ''}`,
      ),
    );
  }
  if (hiddenForks > 0) lines.unshift(`(${hiddenForks} more side branch${hiddenForks === 1 ? '' : 'es'} not shown)`);
  if (height >= 0) lines.push(`┆ … ${height + 1} earlier block${height === 0 ? '' : 's'} …`);
  return lines.reverse().join('\n');
}

/** One line for a side branch: how many blocks, and its highest tip. */
function describeBranch(tree: BlockTree, root: TreeEntry, hashChars: number): string {
  let blocks = 0;
  let tip = root;
  const stack = [root];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    blocks++;
    if (entry.height > tip.height) tip = entry;
    for (const child of entry.children) stack.push(child);
  }
  return blocks === 1
    ? `○ ${root.height}  ${describeEntry(tree, root).padEnd(20)}  ${root.hash.slice(0, hashChars)}`
    : `○ fork of ${blocks} blocks, heights ${root.height}-${tip.height}, tip ${tip.hash.slice(0, hashChars)}`;
}
