/** Ports for nodes on 127.0.0.1: distinct, and free for UDP and for the API's TCP alike. */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freeNodePorts } from '../src/net/ports.js';

describe('freeNodePorts', () => {
  it('gives distinct ports that a node can bind for UDP and listen on for TCP', async () => {
    const ports = await freeNodePorts(5);
    expect(ports).toHaveLength(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, '127.0.0.1', () => resolve());
      });
      const tcp = createServer();
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => resolve());
      });
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  });

  it('gives none when none are asked for', async () => {
    expect(await freeNodePorts(0)).toEqual([]);
  });
});
