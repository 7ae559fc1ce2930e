/** Free UDP ports on 127.0.0.1, found at run time, and a wait for a port to be bound. */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

export async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createSocket>>((resolve, reject) => {
        const socket = createSocket('udp4');
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => resolve(socket));
      }),
    ),
  );
  const ports = sockets.map((socket) => socket.address().port);
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  return ports;
}

/** True when some process has a UDP socket bound to `port` (Linux: /proc/net/udp). */
export function udpPortBound(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => line.trim().split(/\s+/)[1]?.endsWith(`:${hex}`));
}

export async function waitForUdpPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!udpPortBound(port)) {
    if (Date.now() > deadline) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
