/**
 * What a person sees of a running node: on a terminal, a live view redrawn on change
 * (head, height, hashrate, peers, block counts, and the block tree, cut to fit); when
 * stdout is not a terminal, one plain line per notable event. `--log json` bypasses both.
 */
import type { BlockTree } from '../consensus/block-tree.js';
import { renderRecent, renderTree } from './tree-view.js';
import type { NodeEvent } from '../node/events.js';

export interface ViewSource {
  name: string;
  peers: string[];
  engine: string;
  threads: number;
  target: string;
  tree(): BlockTree | undefined;
}

export function formatRate(hashesPerSecond: number): string {
  if (hashesPerSecond >= 1e6) return `${(hashesPerSecond / 1e6).toFixed(2)} MH/s`;
  if (hashesPerSecond >= 1e3) return `${(hashesPerSecond / 1e3).toFixed(1)} kH/s`;
  return `${hashesPerSecond} H/s`;
}

interface Counters {
  accepted: number;
  rejected: number;
  mined: number;
  junk: number;
  hashrate: number;
  perThread: number[];
  lastRefusal: string;
  transactions: { accepted: number; rejected: number; confirmed: number };
  headPrintedAt: number;
  headsSkipped: number;
}

/** Prints events as a human reads them. Returns the listener and a final-summary printer. */
export function humanView(
  source: ViewSource,
  out: NodeJS.WriteStream,
): {
  listener: (event: NodeEvent) => void;
  finish: () => void;
} {
  const counters: Counters = {
    accepted: 0,
    rejected: 0,
    mined: 0,
    junk: 0,
    hashrate: 0,
    perThread: [],
    lastRefusal: '',
    transactions: { accepted: 0, rejected: 0, confirmed: 0 },
    headPrintedAt: 0,
    headsSkipped: 0,
  };
  const live = out.isTTY === true;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;

  const rate = (): string =>
    formatRate(counters.hashrate) +
    (counters.perThread.length > 1
      ? ` (${counters.perThread.map((r) => (r / 1e6).toFixed(2)).join(' + ')} per thread)`
      : '');

  const header = (): string[] => {
    const head = source.tree()?.head;
    return [
      `powchain miner ${source.name}  ·  engine ${source.engine} x${source.threads}  ·  target ${source.target}`,
      `peers: ${source.peers.join(', ') || '(none)'}`,
      head
        ? `head: height ${head.height}  ${head.hash.slice(0, 16)}  ·  ${rate()}`
        : `waiting for genesis  ·  ${rate()}`,
      `blocks: ${counters.accepted} accepted (${counters.mined} mined here), ${counters.rejected} refused` +
        `, ${counters.junk} junk datagrams${counters.lastRefusal ? `  ·  last refusal: ${counters.lastRefusal}` : ''}`,
    ];
  };

  const redraw = (): void => {
    dirty = false;
    const columns = out.columns || 100;
    const rows = out.rows || 30;
    const top = header();
    const tree = source.tree();
    // Only what fits is rendered: the cost of a redraw follows the screen, not the chain.
    const treeLines = tree
      ? renderRecent(tree, { rows: Math.max(3, rows - top.length - 2), width: columns }).split('\n')
      : [];
    // Home, clear screen, draw: a full redraw of a screenful is simple and, at a few frames a second, cheap.
    out.write('\x1b[H\x1b[2J' + [...top, '', ...treeLines].map((line) => line.slice(0, columns)).join('\n') + '\n');
  };

  const plain = (event: NodeEvent): string | undefined => {
    switch (event.event) {
      case 'listening':
        return (
          `listening on ${event.address} · ` +
          (event.mining ? `engine ${event.engine} x${event.threads}` : 'following without mining') +
          ` · target ${event.target}` +
          (event.genesis
            ? ' · mining the genesis block'
            : event.resuming
              ? ' · resuming its stored chain'
              : ' · waiting for the genesis block')
        );
      case 'restored':
        return (
          `restored ${event.blocks} blocks of a ${event.network} chain from disk: head at height ${event.height} ${event.hash.slice(0, 16)}` +
          (event.torn_bytes > 0 ? ` (cut a torn tail of ${event.torn_bytes} bytes left by a crash)` : '') +
          (event.dropped_blocks > 0 ? ` (dropped ${event.dropped_blocks} side blocks over today's limits)` : '')
        );
      case 'genesis':
        return `genesis ${event.hash.slice(0, 16)} (${event.network} network) from ${event.from}`;
      case 'dropped':
        return `dropped ${event.blocks} side block${event.blocks === 1 ? '' : 's'} (${event.bytes} bytes): ${event.why === 'pruned' ? 'pruned, forking too far below the head' : 'over the side-branch budget'}`;
      case 'compacted':
        return `compacted the block log: ${event.blocks} blocks kept, ${event.dead_bytes} bytes of dropped blocks removed`;
      case 'sync':
        return `syncing from ${event.from}: at height ${event.height}, it claims ${event.their_height}`;
      case 'tx':
        // Transactions can come by the thousand: the first of each kind, then every hundredth.
        counters.transactions[event.status]++;
        if (counters.transactions[event.status] !== 1 && counters.transactions[event.status] % 100 !== 0)
          return undefined;
        return event.status === 'rejected'
          ? `refused transaction ${event.txid.slice(0, 16)} from ${event.from}: ${event.reason}${event.detail ? ` (${event.detail})` : ''} (#${counters.transactions.rejected})`
          : `transaction ${event.txid.slice(0, 16)} ${event.status === 'accepted' ? `in the mempool, from ${event.from}` : 'confirmed'} (#${counters.transactions[event.status]})`;
      case 'head': {
        // A sync moves the head thousands of times a second: at most ten lines a second.
        const now = Date.now();
        if (now - counters.headPrintedAt < 100) {
          counters.headsSkipped++;
          return undefined;
        }
        counters.headPrintedAt = now;
        const skipped = counters.headsSkipped;
        counters.headsSkipped = 0;
        return `head → height ${event.height} ${event.hash.slice(0, 16)}${skipped > 0 ? ` (${skipped} more since the last line)` : ''}`;
      }
      case 'block':
        // Gossip brings most blocks more than once: a duplicate is no news.
        if (event.reason === 'duplicate') return undefined;
        return event.status === 'rejected'
          ? `refused block ${event.hash.slice(0, 16)} from ${event.from}: ${event.reason}${event.detail ? ` (${event.detail})` : ''}`
          : event.from === 'self'
            ? `mined block ${event.hash.slice(0, 16)} at height ${event.height}; broadcasting`
            : undefined;
      case 'hashrate':
        return undefined;
      case 'junk':
        // Report the first and then every hundredth, so a flood cannot flood the log too.
        return event.count === 1 || event.count % 100 === 0
          ? `junk datagram #${event.count} from ${event.from}: ${event.reason}`
          : undefined;
      case 'warning':
        return `warning: ${event.message}`;
      case 'api':
        return `HTTP API and web view at ${event.url}/`;
      case 'pay-to':
        if (event.address === null)
          return 'blocks mined here pay no one: give --pay-to <address>, or --data-dir for a wallet of its own';
        return (
          `blocks mined here pay ${event.address}` +
          (event.wallet ? `, whose key is in ${event.wallet}${event.created ? ' (made now)' : ''}` : '') +
          (event.protected === false
            ? '; that wallet is unprotected: set POWCHAIN_PASSPHRASE before its first start to encrypt it'
            : '')
        );
      case 'exit':
        return undefined;
    }
  };

  const listener = (event: NodeEvent): void => {
    if (event.event === 'block' && event.status === 'accepted') {
      counters.accepted++;
      if (event.from === 'self') counters.mined++;
    }
    if (event.event === 'block' && event.status === 'rejected' && event.reason !== 'duplicate') {
      counters.rejected++;
      counters.lastRefusal = `${event.reason} from ${event.from}`;
    }
    if (event.event === 'junk') counters.junk = event.count;
    if (event.event === 'hashrate') {
      counters.hashrate = event.hashes_per_second;
      counters.perThread = event.per_thread ?? [];
    }
    if (live) {
      if (event.event === 'warning') counters.lastRefusal = event.message;
      if (!dirty) {
        dirty = true;
        timer = setTimeout(redraw, 200);
      }
    } else {
      const line = plain(event);
      if (line) out.write(line + '\n');
    }
  };

  const finish = (): void => {
    clearTimeout(timer);
    const tree = source.tree();
    const lines = [...header(), ''];
    if (tree) lines.push(renderTree(tree, { width: out.isTTY ? out.columns : Infinity }));
    out.write((live ? '\x1b[H\x1b[2J' : '\n') + lines.join('\n') + '\n');
  };

  return { listener, finish };
}

/** `--log json`: one JSON object per line. */
export function jsonView(out: NodeJS.WriteStream): (event: NodeEvent) => void {
  return (event) => out.write(JSON.stringify(event) + '\n');
}
