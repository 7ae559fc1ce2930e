/**
 * An in-process datagram network for tests and simulations: every node gets a Transport
 * whose datagrams are delivered through a shared, seeded fault model that drops, delays
 * (and so reorders) and duplicates them, reproducibly. Nothing touches a socket. A datagram
 * larger than UDP allows is refused and reported, as the real transport does.
 */
import { MAX_DATAGRAM_BYTES } from '../../src/primitives/limits.js';
import { type PeerAddress, formatAddress } from '../../src/net/address.js';
import type { DatagramListener, SendErrorListener, Transport } from '../../src/net/transport.js';

export interface FaultModel {
  /** Share of datagrams dropped, 0..1. */
  loss?: number;
  /** Share of datagrams delivered twice, 0..1. */
  duplicate?: number;
  /** Each delivery is delayed by a uniform 0..maxDelayMs, which reorders datagrams. */
  maxDelayMs?: number;
  /** Seed of the fault model's PRNG. */
  seed?: number;
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG, enough for reproducible fault injection. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class MemoryNetwork {
  readonly #endpoints = new Map<string, MemoryTransport>();
  readonly #random: () => number;
  readonly #timers = new Set<NodeJS.Timeout>();
  faults: FaultModel;
  /** Pairs of addresses that cannot reach each other (a partition), as "a|b" keys. */
  readonly #cut = new Set<string>();
  sent = 0;
  delivered = 0;
  dropped = 0;

  constructor(faults: FaultModel = {}) {
    this.faults = faults;
    this.#random = seededRandom(faults.seed ?? 1);
  }

  /** A transport bound to `address` on this network. */
  bind(address: PeerAddress): MemoryTransport {
    const key = formatAddress(address);
    if (this.#endpoints.has(key)) throw new Error(`${key} is already bound on this network`);
    const transport = new MemoryTransport(this, address);
    this.#endpoints.set(key, transport);
    return transport;
  }

  /** Cuts (or with heal(), restores) the link between two groups of addresses, both ways. */
  partition(groupA: PeerAddress[], groupB: PeerAddress[]): void {
    for (const a of groupA) for (const b of groupB) this.#cut.add(this.#linkKey(a, b));
  }

  heal(): void {
    this.#cut.clear();
  }

  #linkKey(a: PeerAddress, b: PeerAddress): string {
    return [formatAddress(a), formatAddress(b)].sort().join('|');
  }

  /** @internal Called by MemoryTransport.send. */
  carry(from: PeerAddress, to: PeerAddress, payload: Uint8Array): void {
    this.sent++;
    const target = this.#endpoints.get(formatAddress(to));
    const { loss = 0, duplicate = 0, maxDelayMs = 0 } = this.faults;
    if (!target || this.#cut.has(this.#linkKey(from, to)) || this.#random() < loss) {
      this.dropped++;
      return;
    }
    const copies = this.#random() < duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const copy = Uint8Array.from(payload);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.delivered++;
        target.deliver(copy, from);
      }, this.#random() * maxDelayMs);
      this.#timers.add(timer);
    }
  }

  /** Datagrams sent and not yet delivered (or dropped). */
  get inFlight(): number {
    return this.#timers.size;
  }

  /** @internal */
  release(address: PeerAddress): void {
    this.#endpoints.delete(formatAddress(address));
  }

  /** Cancels every datagram still in flight. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

export class MemoryTransport implements Transport {
  readonly address: PeerAddress;
  readonly #network: MemoryNetwork;
  readonly #listeners: DatagramListener[] = [];
  readonly #sendErrorListeners: SendErrorListener[] = [];
  #closed = false;

  constructor(network: MemoryNetwork, address: PeerAddress) {
    this.#network = network;
    this.address = address;
  }

  send(peer: PeerAddress, payload: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (payload.length > MAX_DATAGRAM_BYTES) {
      for (const listener of this.#sendErrorListeners) {
        listener(peer, `datagram of ${payload.length} bytes is over ${MAX_DATAGRAM_BYTES}`);
      }
      return Promise.resolve();
    }
    this.#network.carry(this.address, peer, payload);
    return Promise.resolve();
  }

  onDatagram(listener: DatagramListener): void {
    this.#listeners.push(listener);
  }

  /** Reports datagrams too large to send; datagrams lost on the way are lost silently, as on a real network. */
  onSendError(listener: SendErrorListener): void {
    this.#sendErrorListeners.push(listener);
  }

  /** @internal */
  deliver(payload: Uint8Array, from: PeerAddress): void {
    if (this.#closed) return;
    for (const listener of this.#listeners) listener(payload, from);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#network.release(this.address);
    return Promise.resolve();
  }
}
