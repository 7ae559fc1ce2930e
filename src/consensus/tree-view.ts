/**
 * A readable, top-down text rendering of the whole block tree, the job the seed gives to
 * pptree. The main chain runs down the left edge (●); each fork hangs off the block it
 * forks from, indented (○ for blocks off the main chain). Long linear runs are folded so a
 * long chain stays readable, and the walk uses an explicit stack, never recursion.
 *
 *   ● 0  Genesis             1a2b3c4d  root
 *   ● 1  127.0.0.1:5000:0    5e6f7a8b
 *   ├── ○ 2  127.0.0.1:5001:0    99aa00bb
 *   ● 2  127.0.0.1:5000:1    0c1d2e3f  head
 */
import type { BlockTree, TreeEntry } from './block-tree.js';

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

export function renderTree(tree: BlockTree, options: TreeViewOptions = {}): string {
  const foldAfter = options.foldAfter ?? 12;
  const foldKeep = options.foldKeep ?? 3;
  const hashChars = options.hashChars ?? 8;
  const width = options.width ?? Infinity;
  const onMain = tree.mainChainSet();
  const heightWidth = String(tree.head.height).length;
  const lines: string[] = [];

  const label = (entry: TreeEntry): string => {
    const marks = [entry === tree.root ? 'root' : '', entry === tree.head ? 'head' : ''].filter(Boolean).join(', ');
    const mark = onMain.has(entry) ? '●' : '○';
    const height = String(entry.height).padStart(heightWidth);
    const data = describeData(entry.block.data).padEnd(20);
    return `${mark} ${height}  ${data}  ${entry.hash.slice(0, hashChars)}${marks ? '  ' + marks : ''}`;
  };
  const emit = (line: string): void => {
    lines.push(line.length > width ? line.slice(0, Math.max(0, width - 1)) + '…' : line);
  };
  // The child that continues a run on the same column: the main-chain child if there is
  // one, otherwise the first one seen.
  const trunkChild = (entry: TreeEntry): TreeEntry | undefined =>
    entry.children.find((child) => onMain.has(child)) ?? entry.children[0];

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
