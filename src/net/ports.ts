/**
 * Free ports for nodes on one address (for devnet and tests): a node binds its UDP port and
 * serves its HTTP API on the TCP port of the same number (docs/api.md), so a port is free
 * only when both are.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';

/** Tries per port wanted before giving up: a busy machine may hold a few TCP ports that UDP left free. */
const ATTEMPTS = 50;

function bindUdp(host: string): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, host, () => resolve(socket));
  });
}

function closeUdp(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => socket.close(() => resolve()));
}

/** True when a TCP server could listen on `port` of `host` (it is closed again at once). */
function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct ports on `host` free for UDP and for TCP. Every UDP socket bound to port 0
 * is held until the end, so no number comes twice and one whose TCP side was taken is not
 * handed out again; then all are released.
 */
export async function freeNodePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const held: Socket[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt >= count * ATTEMPTS) throw new Error(`no ${count} ports on ${host} free for both UDP and TCP`);
      const socket = await bindUdp(host);
      held.push(socket);
      const port = socket.address().port;
      if (await tcpFree(port, host)) ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map(closeUdp));
  }
}
