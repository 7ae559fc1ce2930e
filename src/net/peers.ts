/**
 * What a node remembers of each peer that has sent it something: whether it speaks the
 * extended protocol, a datagram budget (token bucket), a request budget, and a count of
 * invalid things it sent, with a ban for peers that keep sending them. The table is
 * bounded (least recently heard-from peers forgotten first) and the clock is injected.
 */
import { type PeerAddress, formatAddress } from './address.js';

export interface PeerLimits {
  /** Peers remembered at once. */
  maxPeers?: number;
  /** Datagrams per second a peer may send (sustained), and in a burst. */
  datagramsPerSecond?: number;
  datagramBurst?: number;
  /** Requests (getblocks, getdata) per second a peer may make, and in a burst. */
  requestsPerSecond?: number;
  requestBurst?: number;
  /** Datagrams per second from all peers together (a flood from many addresses), and in a burst. */
  totalPerSecond?: number;
  totalBurst?: number;
  /** Invalid datagrams or blocks after which a peer is banned, and for how long. */
  banThreshold?: number;
  banMs?: number;
}

interface Bucket {
  tokens: number;
  refilled: number;
}

export interface Peer {
  readonly address: PeerAddress;
  readonly key: string;
  extended: boolean;
  lastSeen: number;
  invalid: number;
  bannedUntil: number;
  readonly datagrams: Bucket;
  readonly requests: Bucket;
}

export type Admission = { ok: true; peer: Peer } | { ok: false; reason: 'banned' | 'rate-limited' };

export class PeerTable {
  readonly #limits: Required<PeerLimits>;
  readonly #now: () => number;
  // Insertion order is recency: a peer is re-inserted when heard from.
  readonly #peers = new Map<string, Peer>();
  readonly #total: Bucket;

  constructor(limits: PeerLimits = {}, now: () => number = Date.now) {
    this.#limits = {
      maxPeers: limits.maxPeers ?? 1_024,
      datagramsPerSecond: limits.datagramsPerSecond ?? 400,
      datagramBurst: limits.datagramBurst ?? 800,
      // Each answer may be up to 1 MiB of blocks: a low request rate bounds what a peer
      // (or a spoofed source address) can make this node send.
      requestsPerSecond: limits.requestsPerSecond ?? 4,
      requestBurst: limits.requestBurst ?? 8,
      totalPerSecond: limits.totalPerSecond ?? 4_000,
      totalBurst: limits.totalBurst ?? 8_000,
      banThreshold: limits.banThreshold ?? 50,
      banMs: limits.banMs ?? 10 * 60_000,
    };
    this.#now = now;
    this.#total = { tokens: this.#limits.totalBurst, refilled: now() };
  }

  get size(): number {
    return this.#peers.size;
  }

  get(address: PeerAddress): Peer | undefined {
    return this.#peers.get(formatAddress(address));
  }

  /** Called for every datagram: refuses banned peers, peers over their budget, and a flood over the total budget. */
  admit(address: PeerAddress): Admission {
    const now = this.#now();
    const peer = this.#touch(address, now);
    if (peer.bannedUntil > now) return { ok: false, reason: 'banned' };
    if (!take(this.#total, now, this.#limits.totalPerSecond, this.#limits.totalBurst))
      return { ok: false, reason: 'rate-limited' };
    if (!take(peer.datagrams, now, this.#limits.datagramsPerSecond, this.#limits.datagramBurst)) {
      return { ok: false, reason: 'rate-limited' };
    }
    return { ok: true, peer };
  }

  /** Whether a peer may have one more request served now. */
  allowRequest(peer: Peer): boolean {
    return take(peer.requests, this.#now(), this.#limits.requestsPerSecond, this.#limits.requestBurst);
  }

  /** Counts something invalid against a peer; true when that got it banned. */
  penalize(peer: Peer): boolean {
    peer.invalid++;
    if (peer.invalid >= this.#limits.banThreshold) {
      peer.bannedUntil = this.#now() + this.#limits.banMs;
      peer.invalid = 0;
      return true;
    }
    return false;
  }

  /** Peers that have shown they speak the extended protocol, most recently heard first. */
  extendedPeers(): PeerAddress[] {
    const now = this.#now();
    return [...this.#peers.values()]
      .filter((peer) => peer.extended && peer.bannedUntil <= now)
      .reverse()
      .map((peer) => peer.address);
  }

  #touch(address: PeerAddress, now: number): Peer {
    const key = formatAddress(address);
    let peer = this.#peers.get(key);
    if (peer) {
      this.#peers.delete(key);
    } else {
      peer = {
        address,
        key,
        extended: false,
        lastSeen: now,
        invalid: 0,
        bannedUntil: 0,
        datagrams: { tokens: this.#limits.datagramBurst, refilled: now },
        requests: { tokens: this.#limits.requestBurst, refilled: now },
      };
      if (this.#peers.size >= this.#limits.maxPeers) this.#evictOne(now);
    }
    peer.lastSeen = now;
    this.#peers.set(key, peer);
    return peer;
  }

  /** Forgets the least recently heard-from peer that is not banned (or, failing that, the oldest). */
  #evictOne(now: number): void {
    for (const [key, peer] of this.#peers) {
      if (peer.bannedUntil <= now) {
        this.#peers.delete(key);
        return;
      }
    }
    const oldest = this.#peers.keys().next().value;
    if (oldest !== undefined) this.#peers.delete(oldest);
  }
}

function take(bucket: Bucket, now: number, perSecond: number, burst: number): boolean {
  bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilled) / 1000) * perSecond);
  bucket.refilled = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}
