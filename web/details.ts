/** A block's (or a folded run's) details as a definition list, shared by both pages. */
import type { ApiBlock } from '../src/api/source.js';
import { formatTime } from './format.js';
import type { DisplayFold } from './tree-model.js';

export function detailsList(rows: Array<[string, string]>): HTMLDListElement {
  const list = document.createElement('dl');
  list.className = 'details';
  for (const [name, value] of rows) {
    const term = document.createElement('dt');
    term.textContent = name;
    const definition = document.createElement('dd');
    definition.textContent = value;
    definition.dataset.field = name;
    list.append(term, definition);
  }
  return list;
}

export function blockDetails(block: ApiBlock, extra: Array<[string, string]> = []): HTMLDListElement {
  return detailsList([
    ['hash', block.hash],
    ['height', String(block.height)],
    ['chain', block.main ? 'main chain' : 'off the main chain (stale)'],
    ['time', formatTime(block.time)],
    ['miner', block.miner ?? '–'],
    ['relayed by', block.relayedBy],
    ['parent', block.parent ?? '– (root)'],
    ['target', `0x${block.target}`],
    ['work', block.work],
    ['chain work', block.chainWork],
    ['size', `${block.size} bytes`],
    [
      'transactions',
      block.transactions === null
        ? 'none: this network has no transactions'
        : block.transactions.length === 0
          ? 'none'
          : block.transactions.map((tx) => tx.txid).join('\n'),
    ],
    ...extra,
  ]);
}

export function foldDetails(fold: DisplayFold): HTMLDListElement {
  return detailsList([
    ['blocks', `${fold.count.toLocaleString('en-US')} (heights ${fold.fromHeight} to ${fold.toHeight})`],
    ['chain', fold.main ? 'main chain' : 'a fork'],
    ['stale blocks folded in', String(fold.stale)],
    ['first', fold.first],
    ['last', fold.last],
  ]);
}
