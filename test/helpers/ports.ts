/** Free UDP ports found at run time, and a wait for a port to be bound. */
export { freeNodePorts } from '../../src/net/ports.js';
import { readFileSync } from 'node:fs';

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
