import { describe, expect, it } from 'vitest';
import { Block } from '../src/primitives/block.js';
import { WaitingRoom } from '../src/consensus/waiting-room.js';

const blocks = (count: number, bytes = 0): Block[] =>
  Array.from({ length: count }, (_, i) => new Block(new Uint8Array(bytes), new Uint8Array(32), BigInt(i)));
const hashes = (room: WaitingRoom): string[] => room.takeAll().map((waiting) => waiting.block.hashHex());

describe('WaitingRoom', () => {
  it('keeps blocks with their sender and gives them all back, longest waiting first, once', () => {
    const room = new WaitingRoom();
    const [a, b, c] = blocks(3, 10);
    expect(room.add(a!, 'p1')).toBe(true);
    expect(room.add(b!, 'p2')).toBe(true);
    expect(room.add(c!, 'p1')).toBe(true);
    expect([room.size, room.bytes]).toEqual([3, 30]);
    expect(room.takeAll()).toEqual([
      { block: a, sender: 'p1' },
      { block: b, sender: 'p2' },
      { block: c, sender: 'p1' },
    ]);
    expect([room.size, room.bytes]).toEqual([0, 0]);
    expect(room.takeAll()).toEqual([]);
  });

  it('refuses a block that is already waiting, whoever sends it again', () => {
    const room = new WaitingRoom();
    const [a] = blocks(1, 5);
    expect(room.add(a!, 'p1')).toBe(true);
    expect(room.add(a!, 'p1')).toBe(false);
    expect(room.add(new Block(a!.data, a!.previousHash, a!.nonce), 'p2')).toBe(false);
    expect([room.size, room.bytes]).toEqual([1, 5]);
  });

  it('holds at most maxPerSender blocks of one sender (default 16), and frees the share when they leave', () => {
    const room = new WaitingRoom();
    const many = blocks(18);
    for (const b of many.slice(0, 16)) expect(room.add(b, 'p1')).toBe(true);
    expect(room.add(many[16]!, 'p1')).toBe(false);
    expect(room.add(many[16]!, 'p2')).toBe(true);
    expect(room.size).toBe(17);
    room.takeAll();
    for (const b of many.slice(0, 16)) expect(room.add(b, 'p1')).toBe(true);
    const small = new WaitingRoom({ maxPerSender: 2, maxBlocks: 3 });
    const [a, b, c, d, e, f, g] = blocks(7);
    expect([small.add(a!, 'p1'), small.add(b!, 'p1'), small.add(c!, 'p1')]).toEqual([true, true, false]);
    // Blocks of p2 push p1's oldest out: p1 has room again.
    expect(small.add(c!, 'p2')).toBe(true);
    expect(small.add(d!, 'p2')).toBe(true);
    expect(small.add(e!, 'p1')).toBe(true);
    expect(small.add(f!, 'p1')).toBe(true);
    expect(small.add(g!, 'p1')).toBe(false);
    expect(hashes(small)).toEqual([d, e, f].map((x) => x!.hashHex()));
  });

  it('holds at most maxBlocks (default 64): the one waiting longest goes first', () => {
    const room = new WaitingRoom({ maxPerSender: 1_000 });
    const many = blocks(65);
    for (const b of many.slice(0, 64)) room.add(b, 'p1');
    expect(room.size).toBe(64);
    expect(room.add(many[64]!, 'p1')).toBe(true);
    expect(room.size).toBe(64);
    expect(hashes(room)).toEqual(many.slice(1).map((b) => b.hashHex()));
  });

  it('holds at most maxBytes of data (default 4 MiB): exactly at the limit, and one byte past it evicts', () => {
    const room = new WaitingRoom({ maxBytes: 100 });
    const [a, b] = blocks(2, 60);
    const c = new Block(new Uint8Array(40), new Uint8Array(32).fill(2));
    const d = new Block(new Uint8Array(1), new Uint8Array(32).fill(3));
    room.add(a!, 'p1');
    room.add(c, 'p1');
    expect([room.size, room.bytes]).toEqual([2, 100]);
    room.add(d, 'p2');
    expect([room.size, room.bytes]).toEqual([2, 41]);
    room.add(b!, 'p2');
    expect([room.size, room.bytes]).toEqual([2, 61]);
    expect(hashes(room)).toEqual([d, b!].map((x) => x.hashHex()));
    const defaults = new WaitingRoom({ maxPerSender: 1_000, maxBlocks: 1_000 });
    const big = blocks(86, 49_000); // 85 of them are 4,165,000 bytes; 86 are past 4 MiB
    for (const x of big) defaults.add(x, 'p1');
    expect([defaults.size, defaults.bytes]).toEqual([85, 85 * 49_000]);
    expect(defaults.maxBytes).toBe(4 * 1024 * 1024);
  });

  it('keeps a per-sender count through evictions: a sender whose blocks were pushed out may add again', () => {
    const room = new WaitingRoom({ maxBlocks: 1, maxPerSender: 1 });
    const [a, b, c] = blocks(3);
    expect(room.add(a!, 'p1')).toBe(true);
    expect(room.add(b!, 'p2')).toBe(true); // a is pushed out: p1 holds none
    expect(room.add(c!, 'p1')).toBe(true); // b is pushed out: p2 holds none
    expect(room.add(a!, 'p2')).toBe(true);
    expect(hashes(room)).toEqual([a!.hashHex()]);
  });

  it('has the documented defaults', () => {
    const room = new WaitingRoom();
    expect([room.maxBlocks, room.maxBytes, room.maxPerSender]).toEqual([64, 4 * 1024 * 1024, 16]);
  });
});
