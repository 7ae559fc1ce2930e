import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAL_DEPTH, type DisplayNode, type ModelBlock, TreeModel, displayNodes } from '../web/tree-model.js';

/** A tree built from a list of parent choices: block i+1 hangs off block parents[i] (an index below it). */
function buildModel(parents: number[], window = 2_000): { model: TreeModel; blocks: ModelBlock[] } {
  const blocks: ModelBlock[] = [{ hash: 'b0', height: 0, parent: null, time: null, miner: null }];
  const model = new TreeModel(window);
  model.add(blocks[0]!);
  let head = blocks[0]!;
  parents.forEach((choice, i) => {
    const parent = blocks[choice % blocks.length]!;
    const block: ModelBlock = {
      hash: `b${i + 1}`,
      height: parent.height + 1,
      parent: parent.hash,
      time: null,
      miner: null,
    };
    blocks.push(block);
    model.add(block);
    if (block.height > head.height) head = block; // first seen wins a tie
    model.setHead(head.hash);
  });
  return { model, blocks };
}

function chain(length: number): number[] {
  return Array.from({ length }, (_, i) => i);
}

/** Blocks a display tree stands for: drawn blocks, folded runs, and stale blocks folded in. */
function accounted(root: DisplayNode | undefined): number {
  return displayNodes(root).reduce(
    (sum, node) => sum + (node.kind === 'block' ? 1 + node.stale : node.count + node.stale),
    0,
  );
}

describe('folding the block tree', () => {
  it('folds a long chain to its root, one run, and the top blocks', () => {
    const { model } = buildModel(chain(1_000));
    const nodes = displayNodes(model.fold());
    expect(nodes.map((node) => (node.kind === 'block' ? node.block.height : `fold ${node.count}`))).toEqual([
      0,
      'fold 997',
      998,
      999,
      1000,
    ]);
    expect(nodes.find((node) => node.kind === 'block' && node.role === 'head')?.key).toBe('b1000');
  });

  it('shows a recent fork, then folds it into its run once its tip is more than healDepth deep', () => {
    const parents = chain(20);
    parents.push(18); // b21 forks off b18 at height 19 (b19 is the main block at that height)
    const { model } = buildModel(parents);
    const stale = (m: TreeModel) =>
      displayNodes(m.fold()).filter((node) => node.kind === 'block' && node.role === 'stale-tip');
    expect(stale(model).map((node) => node.key)).toEqual(['b21']);

    // Extend the main chain from b20 until the fork's tip (height 19) is DEFAULT_HEAL_DEPTH deep: still shown.
    let last = 20;
    for (let height = 21; height <= 19 + DEFAULT_HEAL_DEPTH; height++) {
      parents.push(last);
      last = parents.length;
    }
    expect(stale(buildModel(parents).model).map((node) => node.key)).toEqual(['b21']);
    // One block more: healed, folded away, and counted by the run that holds its fork point.
    parents.push(last);
    const healed = buildModel(parents).model;
    expect(stale(healed)).toEqual([]);
    const folds = displayNodes(healed.fold()).filter((node) => node.kind === 'fold');
    expect(folds.map((node) => node.kind === 'fold' && node.stale)).toEqual([1]);
  });

  it('keeps a marked block and its branch visible however deep', () => {
    const parents = [...chain(5), 3, ...chain(40).map((i) => (i === 0 ? 5 : i + 6))];
    const { model } = buildModel(parents);
    const marked = new Set(['b6']);
    expect(displayNodes(model.fold()).some((node) => node.key === 'b6')).toBe(false);
    expect(displayNodes(model.fold({ marked })).some((node) => node.key === 'b6')).toBe(true);
  });

  it('accounts for every block, draws the head, and folds only long runs (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 12 }),
        (choices, healDepth) => {
          // Mostly extend the newest block, sometimes fork off a recent one.
          const parents = choices.map((choice, i) => (choice % 5 === 0 ? Math.max(0, i - (choice % 7)) : i));
          const { model, blocks } = buildModel(parents);
          const root = model.fold({ healDepth });
          expect(accounted(root)).toBe(blocks.length);
          const nodes = displayNodes(root);
          const heads = nodes.filter((node) => node.kind === 'block' && node.role === 'head');
          expect(heads.map((node) => node.key)).toEqual([model.head!.hash]);
          for (const node of nodes) {
            if (node.kind === 'fold') expect(node.count).toBeGreaterThanOrEqual(3);
            for (const child of node.children) {
              const top = node.kind === 'block' ? node.block.height : node.toHeight;
              const bottom = child.kind === 'block' ? child.block.height : child.fromHeight;
              expect(bottom).toBe(top + 1);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('drops blocks that fell out of the window', () => {
    const { model } = buildModel(chain(500), 100);
    expect(model.size).toBeLessThanOrEqual(110);
    expect(model.size).toBeGreaterThanOrEqual(100);
    expect(model.has('b500')).toBe(true);
    expect(model.has('b300')).toBe(false);
    expect(model.add({ hash: 'old', height: 10, parent: 'b9', time: null, miner: null })).toBe(false);
  });
});
