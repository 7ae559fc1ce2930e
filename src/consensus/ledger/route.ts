/**
 * Routes between two blocks of a tree (docs/ledger.md "Routes"): from the ledger's tip back
 * to the fork point, then forward to the target. Works on any node with a height and a
 * parent link, such as the block tree's entries, so the rules can hand the ledger the route
 * to a block's parent without the ledger knowing the tree.
 */
import type { BlockRef, Route } from './ledger.js';

export interface RouteNode {
  readonly height: number;
  readonly parent: RouteNode | undefined;
}

/**
 * The route from `from` (the block the ledger is at) to `to`: `from` and its ancestors down
 * to the fork point (exclusive) newest first, then the fork point's descendants up to `to`
 * oldest first. `refOf` turns a node into the ledger's BlockRef. Nodes of different trees
 * are a programming error (RangeError).
 */
export function routeBetween<T extends RouteNode>(from: T, to: T, refOf: (node: T) => BlockRef): Route {
  const disconnect: BlockRef[] = [];
  const connect: BlockRef[] = [];
  let a: T = from;
  let b: T = to;
  while (a !== b) {
    // Only a root has no parent, and two blocks of one tree meet before reaching it.
    if (a.height >= b.height) {
      if (!a.parent) throw new RangeError('the two blocks are not in one tree');
      disconnect.push(refOf(a));
      a = a.parent as T;
    } else {
      if (!b.parent) throw new RangeError('the two blocks are not in one tree');
      connect.push(refOf(b));
      b = b.parent as T;
    }
  }
  return { disconnect, connect: connect.reverse() };
}
