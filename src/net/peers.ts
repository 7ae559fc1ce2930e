/**
 * What a node remembers of the addresses that send it datagrams (docs/protocol.md "Budgets
 * and bans"), bounded and with an injected clock:
 *
 *   per peer (host:port)  what it has shown (extended protocol, plain tutorial blocks, a
 *                         validated address), a datagram budget and a request budget (token
 *                         buckets), bytes received from it and sent to it, invalid things it
 *                         sent, and a ban for peers that keep sending them;
 *   per host              a datagram budget, a request budget and a ban that apply to the
 *                         host's peers that have not validated their address, so a sender
 *                         cannot escape its budget or its ban by changing its source port;
 *   in total              a datagram budget over every unvalidated peer (a flood from many
 *                         addresses), which validated peers do not count against.
 *
 * Anti-amplification (RFC 9000 section 8.1): to a peer whose address is not validated (it
 * has not echoed this node's token, see address-token.ts) the node sends at most three times
 * the bytes it received from it.
 */
import { type PeerAddress, formatAddress } from './address.js';

export interface PeerLimits {
  /** Peers remembered at once (validated peers are forgotten last). */
  maxPeers?: number;
  /** Datagrams per second a peer may send (sustained) and in a burst, before and after validation. */
  datagramsPerSecond?: number;
  datagramBurst?: number;
  validatedDatagramsPerSecond?: number;
  validatedDatagramBurst?: number;
  /** Requests (getblocks, getdata) per second a peer may make, and in a burst, before and after validation. */
  requestsPerSecond?: number;
  requestBurst?: number;
  validatedRequestsPerSecond?: number;
  validatedRequestBurst?: number;
  /** Transactions per second a peer may send for the mempool, and in a burst. */
  transactionsPerSecond?: number;
  transactionBurst?: number;
  /** Datagrams per second from all unvalidated peers together, and in a burst. */
  totalPerSecond?: number;
  totalBurst?: number;
  /** Invalid datagrams or blocks after which a peer is banned, and for how long. */
  banThreshold?: number;
  banMs?: number;
  /** Hosts remembered at once. */
  maxHosts?: number;
  /** Budgets shared by the unvalidated peers of one host. */
  hostDatagramsPerSecond?: number;
  hostDatagramBurst?: number;
  hostRequestsPerSecond?: number;
  hostRequestBurst?: number;
  /** Invalid datagrams from a host's unvalidated peers after which those are banned. */
  hostBanThreshold?: number;
  /** Bytes sent to an unvalidated peer, at most, per byte received from it. */
  amplificationFactor?: number;
}

export const DEFAULT_PEER_LIMITS: Required<PeerLimits> = {
  maxPeers: 1_024,
  datagramsPerSecond: 400,
  datagramBurst: 800,
  // A validated peer may answer a sync request with thousands of blocks a second.
  validatedDatagramsPerSecond: 5_000,
  validatedDatagramBurst: 10_000,
  // Each answer may be up to 1 MiB of blocks: a low request rate bounds what a peer can
  // make this node send, on top of the amplification limit.
  requestsPerSecond: 4,
  requestBurst: 8,
  // A validated peer syncing asks for a batch of 250 blocks as soon as one arrives.
  validatedRequestsPerSecond: 32,
  validatedRequestBurst: 64,
  // A full block holds about 170 transfers; a second's worth from one peer, twice over.
  transactionsPerSecond: 200,
  transactionBurst: 400,
  totalPerSecond: 4_000,
  totalBurst: 8_000,
  banThreshold: 50,
  banMs: 10 * 60_000,
  maxHosts: 1_024,
  // A devnet runs many nodes on 127.0.0.1: until they validate each other (one round trip)
  // they share these.
  hostDatagramsPerSecond: 2_000,
  hostDatagramBurst: 4_000,
  hostRequestsPerSecond: 16,
  hostRequestBurst: 32,
  hostBanThreshold: 200,
  amplificationFactor: 3,
};

interface Bucket {
  tokens: number;
  refilled: number;
}

interface Host {
  readonly name: string;
  readonly datagrams: Bucket;
  readonly requests: Bucket;
  invalid: number;
  bannedUntil: number;
}

export interface Peer {
  readonly address: PeerAddress;
  readonly key: string;
  /** It has shown it speaks the extended protocol (a valid extended block, or an echoed token). */
  extended: boolean;
  /** It has sent plain blocks without the extended fields: a tutorial miner, as far as we know. */
  plain: boolean;
  /** It echoed this node's token: it receives datagrams at this address. */
  validated: boolean;
  /** The token it gave this node, to echo back in what this node sends it. */
  echo: string | undefined;
  /** When this node last heard from it (ms). */
  lastHeard: number;
  /** Bytes received from it, and bytes sent to it in answer. */
  received: number;
  sent: number;
  invalid: number;
  bannedUntil: number;
  readonly datagrams: Bucket;
  readonly requests: Bucket;
  readonly transactions: Bucket;
}

export type Admission =
  | { ok: true; peer: Peer }
  | { ok: false; reason: 'banned' | 'host-banned' | 'rate-limited' | 'host-rate-limited' | 'flood' };

export class PeerTable {
  readonly limits: Required<PeerLimits>;
  readonly #now: () => number;
  // Insertion order is recency: a peer (or host) is re-inserted when heard from.
  readonly #peers = new Map<string, Peer>();
  readonly #hosts = new Map<string, Host>();
  readonly #total: Bucket;

  constructor(limits: PeerLimits = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_PEER_LIMITS, ...limits };
    this.#now = now;
    this.#total = { tokens: this.limits.totalBurst, refilled: now() };
  }

  get size(): number {
    return this.#peers.size;
  }

  get(address: PeerAddress): Peer | undefined {
    return this.#peers.get(formatAddress(address));
  }

  /** The peer whose host:port is `key`, if remembered. */
  byKey(key: string): Peer | undefined {
    return this.#peers.get(key);
  }

  /** Every remembered peer, most recently heard from first. */
  list(): Peer[] {
    return [...this.#peers.values()].reverse();
  }

  isBanned(peer: Peer): boolean {
    return peer.bannedUntil > this.#now();
  }

  /**
   * Called for every datagram (`bytes` long): refuses banned peers and hosts, and whoever is
   * over a budget; otherwise counts the bytes and returns the peer's record.
   */
  admit(address: PeerAddress, bytes = 0): Admission {
    const now = this.#now();
    const key = formatAddress(address);
    const known = this.#peers.get(key);
    if (known && known.bannedUntil > now) return { ok: false, reason: 'banned' };
    const validated = known?.validated === true;
    const limits = this.limits;
    if (!validated) {
      const host = this.#host(address.host, now);
      if (host.bannedUntil > now) return { ok: false, reason: 'host-banned' };
      if (!take(host.datagrams, now, limits.hostDatagramsPerSecond, limits.hostDatagramBurst)) {
        return { ok: false, reason: 'host-rate-limited' };
      }
      if (!take(this.#total, now, limits.totalPerSecond, limits.totalBurst)) return { ok: false, reason: 'flood' };
    }
    const peer = known ?? this.#newPeer(address, key, now);
    const [perSecond, burst] = validated
      ? [limits.validatedDatagramsPerSecond, limits.validatedDatagramBurst]
      : [limits.datagramsPerSecond, limits.datagramBurst];
    if (!take(peer.datagrams, now, perSecond, burst)) return { ok: false, reason: 'rate-limited' };
    peer.received += bytes;
    peer.lastHeard = now;
    // Re-insert: the Map's order is the order peers were last heard from.
    this.#peers.delete(key);
    this.#peers.set(key, peer);
    return { ok: true, peer };
  }

  /** True when the peer may have one more request (getblocks, getdata) served now. */
  allowRequest(peer: Peer): boolean {
    const now = this.#now();
    const limits = this.limits;
    if (peer.validated) {
      return take(peer.requests, now, limits.validatedRequestsPerSecond, limits.validatedRequestBurst);
    }
    if (!take(peer.requests, now, limits.requestsPerSecond, limits.requestBurst)) return false;
    return take(
      this.#host(peer.address.host, now).requests,
      now,
      limits.hostRequestsPerSecond,
      limits.hostRequestBurst,
    );
  }

  /** True when the peer may have one more transaction taken for the mempool now. */
  allowTransaction(peer: Peer): boolean {
    return take(peer.transactions, this.#now(), this.limits.transactionsPerSecond, this.limits.transactionBurst);
  }

  /**
   * The anti-amplification limit: true (and the bytes are counted) when `bytes` more may
   * go to `peer` in answer to what it sent.
   */
  allowSend(peer: Peer, bytes: number): boolean {
    if (!peer.validated && peer.sent + bytes > this.limits.amplificationFactor * peer.received) return false;
    peer.sent += bytes;
    return true;
  }

  /** The peer echoed this node's token: its address is real, and it speaks the extended protocol. */
  validate(peer: Peer): void {
    peer.validated = true;
    peer.extended = true;
  }

  /**
   * Counts something invalid against a peer (and, while it is unvalidated, against its
   * host). Returns what got banned by it, if anything.
   */
  penalize(peer: Peer): 'peer' | 'host' | undefined {
    const now = this.#now();
    peer.invalid++;
    if (peer.invalid >= this.limits.banThreshold) {
      peer.bannedUntil = now + this.limits.banMs;
      peer.invalid = 0;
      return 'peer';
    }
    if (peer.validated) return undefined;
    const host = this.#host(peer.address.host, now);
    host.invalid++;
    if (host.invalid >= this.limits.hostBanThreshold) {
      host.bannedUntil = now + this.limits.banMs;
      host.invalid = 0;
      return 'host';
    }
    return undefined;
  }

  /** Peers that have shown they speak the extended protocol, not banned, most recently heard first. */
  extendedPeers(): Peer[] {
    const now = this.#now();
    return this.list().filter((peer) => peer.extended && peer.bannedUntil <= now);
  }

  #newPeer(address: PeerAddress, key: string, now: number): Peer {
    if (this.#peers.size >= this.limits.maxPeers) this.#evictOne(now);
    return {
      address,
      key,
      extended: false,
      plain: false,
      validated: false,
      echo: undefined,
      lastHeard: now,
      received: 0,
      sent: 0,
      invalid: 0,
      bannedUntil: 0,
      datagrams: { tokens: this.limits.datagramBurst, refilled: now },
      requests: { tokens: this.limits.requestBurst, refilled: now },
      transactions: { tokens: this.limits.transactionBurst, refilled: now },
    };
  }

  /** Forgets the least recently heard-from peer, preferring unvalidated peers that are not banned. */
  #evictOne(now: number): void {
    const order = [
      (peer: Peer) => !peer.validated && peer.bannedUntil <= now,
      (peer: Peer) => peer.bannedUntil <= now,
      () => true,
    ];
    for (const eligible of order) {
      for (const [key, peer] of this.#peers) {
        if (eligible(peer)) {
          this.#peers.delete(key);
          return;
        }
      }
    }
  }

  #host(name: string, now: number): Host {
    let host = this.#hosts.get(name);
    if (host) {
      this.#hosts.delete(name);
    } else {
      if (this.#hosts.size >= this.limits.maxHosts) {
        // Forget the least recently heard-from host that is not banned, else the oldest.
        let victim: string | undefined;
        for (const [key, candidate] of this.#hosts) {
          if (candidate.bannedUntil <= now) {
            victim = key;
            break;
          }
        }
        this.#hosts.delete(victim ?? this.#hosts.keys().next().value!);
      }
      host = {
        name,
        datagrams: { tokens: this.limits.hostDatagramBurst, refilled: now },
        requests: { tokens: this.limits.hostRequestBurst, refilled: now },
        invalid: 0,
        bannedUntil: 0,
      };
    }
    this.#hosts.set(name, host);
    return host;
  }
}

/** Token bucket: refills at `perSecond` up to `burst`; true (and one token spent) when one is left. */
function take(bucket: Bucket, now: number, perSecond: number, burst: number): boolean {
  bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilled) / 1000) * perSecond);
  bucket.refilled = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
