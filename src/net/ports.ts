/** Free UDP ports on an address, found by binding port 0 (for devnet and tests). */
import { createSocket, type Socket } from 'node:dgram';

/** `count` distinct free UDP ports on `host`: bound to port 0 together, then released. */
export async function freeUdpPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = createSocket('udp4');
          socket.once('error', reject);
          socket.bind(0, host, () => resolve(socket));
        }),
    ),
  );
  const ports = sockets.map((socket) => socket.address().port);
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  return ports;
}
