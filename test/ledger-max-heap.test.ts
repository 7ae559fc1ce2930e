import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MaxHeap } from '../src/consensus/ledger/max-heap.js';

describe('MaxHeap', () => {
  it('pops the items in order, highest first, and nothing once empty', () => {
    const heap = new MaxHeap<number>((a, b) => a > b);
    for (const n of [5, 1, 9, 3, 7, 2, 8, 6, 4, 0]) heap.push(n);
    expect(heap.size).toBe(10);
    const popped: (number | undefined)[] = [];
    for (let i = 0; i < 11; i++) popped.push(heap.pop());
    expect(popped).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, undefined]);
    expect(heap.size).toBe(0);
  });

  it('always pops the highest item held, pushes and pops interleaved (model check)', () => {
    const operation = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant('pop' as const));
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 80 }), (operations) => {
        const heap = new MaxHeap<number>((a, b) => a > b);
        const model: number[] = [];
        for (const op of operations) {
          if (op === 'pop') {
            model.sort((a, b) => a - b);
            expect(heap.pop()).toBe(model.pop());
          } else {
            heap.push(op);
            model.push(op);
          }
          expect(heap.size).toBe(model.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
