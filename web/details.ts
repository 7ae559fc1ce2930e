/** A block's (or a folded run's) details as a definition list, shared by both pages. */
import type { ApiBlock } from '../src/api/source.js';
import { detailsList } from './dom.js';
import { formatTime } from './format.js';
import type { DisplayFold } from './tree-model.js';
import { blockTransactions, transactionsSummary } from './transactions.js';

/**
 * The block's fields, then its transactions (each linked to its own page when `linked`:
 * the network view has no transaction pages).
 */
export function blockDetails(block: ApiBlock, extra: Array<[string, string]> = [], linked = true): DocumentFragment {
  const fragment = document.createDocumentFragment();
  fragment.append(
    detailsList([
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
      ['transactions', transactionsSummary(block.transactions)],
      ...extra,
    ]),
  );
  if (block.transactions && block.transactions.length > 0)
    fragment.append(blockTransactions(block.transactions, linked));
  return fragment;
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
