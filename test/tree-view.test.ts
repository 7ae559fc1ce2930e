import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { MAX_TARGET } from '../src/primitives/limits.js';
import { BlockTree } from '../src/consensus/block-tree.js';
import { seedRules } from '../src/consensus/rules/seed.js';
import { describeData, renderTree } from '../src/cli/tree-view.js';

const genesis = new Block('Genesis');
const newTree = (): BlockTree => new BlockTree(genesis, seedRules({ target: MAX_TARGET, tieBreak: 'first-seen' }));
const short = (block: Block, chars = 8): string => block.hashHex().slice(0, chars);

function extend(tree: BlockTree, from: Block, labels: string[]): Block[] {
  let tip = from;
  return labels.map((label) => {
    tip = new Block(label, tip);
    expect(tree.append(tip, 0).ok).toBe(true);
    return tip;
  });
}

describe('describeData', () => {
  it('shows printable UTF-8 as text, cut to maxChars with an ellipsis', () => {
    expect(describeData(new TextEncoder().encode('héllo wörld'))).toBe('héllo wörld');
    expect(describeData(new Uint8Array(0))).toBe('');
    expect(describeData(new TextEncoder().encode('abcdef'), 6)).toBe('abcdef');
    expect(describeData(new TextEncoder().encode('abcdefg'), 6)).toBe('abcde…');
    expect(describeData(new TextEncoder().encode('x'.repeat(32)))).toBe('x'.repeat(32));
    expect(describeData(new TextEncoder().encode('x'.repeat(33)))).toBe('x'.repeat(31) + '…');
  });

  it('shows bytes that are not UTF-8, or hold control characters, as hex: the first 8 bytes and the length', () => {
    expect(describeData(new Uint8Array([0xff, 0xfe]))).toBe('0xfffe (2 bytes)');
    expect(describeData(new Uint8Array([0xc3]))).toBe('0xc3 (1 bytes)');
    for (const control of [0x00, 0x09, 0x0a, 0x1f, 0x7f]) {
      const hex = control.toString(16).padStart(2, '0');
      expect(describeData(new Uint8Array([0x61, control]))).toBe(`0x61${hex} (2 bytes)`);
    }
    expect(describeData(new TextEncoder().encode(' ~'))).toBe(' ~');
    expect(describeData(new Uint8Array(8).fill(0xff))).toBe('0xffffffffffffffff (8 bytes)');
    expect(describeData(new Uint8Array(9).fill(0xff))).toBe('0xffffffffffffffff… (9 bytes)');
  });
});

describe('renderTree', () => {
  it('marks a lone genesis as both root and head', () => {
    expect(renderTree(newTree())).toBe(`● 0  Genesis               ${short(genesis)}  root, head`);
  });

  it('draws exact lines: height, data padded to 20, the first hashChars of the hash, and marks only where due', () => {
    const tree = newTree();
    const [a, b] = extend(tree, genesis, ['a', 'b']);
    expect(renderTree(tree).split('\n')).toEqual([
      `● 0  Genesis               ${short(genesis)}  root`,
      `● 1  a                     ${short(a!)}`,
      `● 2  b                     ${short(b!)}  head`,
    ]);
    expect(renderTree(tree, { hashChars: 12 }).split('\n')[1]).toBe(`● 1  a                     ${short(a!, 12)}`);
  });

  it('keeps the main chain on the left edge even when a side branch was seen first', () => {
    const tree = newTree();
    const [side] = extend(tree, genesis, ['side']);
    const [m1, m2] = extend(tree, genesis, ['m1', 'm2']);
    expect(tree.head.hash).toBe(m2!.hashHex());
    expect(renderTree(tree).split('\n')).toEqual([
      `● 0  Genesis               ${short(genesis)}  root`,
      `├── ○ 1  side                  ${short(side!)}`,
      `● 1  m1                    ${short(m1!)}`,
      `● 2  m2                    ${short(m2!)}  head`,
    ]);
  });

  it('cuts lines longer than the width, with an ellipsis, and keeps lines that fit', () => {
    const tree = newTree();
    const line = renderTree(tree);
    expect(renderTree(tree, { width: line.length })).toBe(line);
    expect(renderTree(tree, { width: line.length - 1 })).toBe(line.slice(0, line.length - 2) + '…');
    expect(renderTree(tree, { width: 1 })).toBe('…');
  });

  it('folds a linear run longer than foldAfter to its first and last foldKeep blocks', () => {
    const tree = newTree();
    const blocks = extend(tree, genesis, ['b1', 'b2', 'b3', 'b4', 'b5']); // a run of 6 with the root
    const lines = renderTree(tree, { foldAfter: 5, foldKeep: 2 }).split('\n');
    expect(lines).toEqual([
      `● 0  Genesis               ${short(genesis)}  root`,
      `● 1  b1                    ${short(blocks[0]!)}`,
      '┆ … 2 blocks …',
      `● 4  b4                    ${short(blocks[3]!)}`,
      `● 5  b5                    ${short(blocks[4]!)}  head`,
    ]);
    // A run of exactly foldAfter blocks is drawn whole.
    expect(renderTree(tree, { foldAfter: 6, foldKeep: 2 }).split('\n')).toHaveLength(6);
  });
});
