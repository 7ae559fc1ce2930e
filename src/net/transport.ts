/**
 * The datagram transport a node talks through. UdpTransport is the real one (one
 * node:dgram socket per node, as the tutorial has); tests substitute an in-process one that
 * drops, reorders or duplicates datagrams.
 */
import { createSocket, type Socket } from 'node:dgram';
import { MAX_DATAGRAM_BYTES } from '../primitives/limits.js';
import { type PeerAddress, formatAddress } from './address.js';

export type DatagramListener = (payload: Uint8Array, from: PeerAddress) => void;
export type SendErrorListener = (peer: PeerAddress, message: string) => void;

export interface Transport {
  /** The address this node is bound to (with the real port when bound to port 0). */
  readonly address: PeerAddress;
  /**
   * Sends one datagram; resolves once it has left or failed. A failure (a datagram too large,
   * an unreachable host) is reported to the send-error listeners, never thrown.
   */
  send(peer: PeerAddress, payload: Uint8Array): Promise<void>;
  onDatagram(listener: DatagramListener): void;
  /** Called with a one-line description when a send fails (unreachable host, ...). */
  onSendError(listener: SendErrorListener): void;
  close(): Promise<void>;
}

export class BindError extends Error {
  override readonly name = 'BindError';
}

export class UdpTransport implements Transport {
  readonly #socket: Socket;
  readonly #sendErrorListeners: SendErrorListener[] = [];
  #address: PeerAddress;
  #closed = false;

  private constructor(socket: Socket, address: PeerAddress) {
    this.#socket = socket;
    this.#address = address;
    // After binding, a socket error (an ICMP report on some systems) must not crash the node.
    socket.on('error', (error) => this.#reportSendError(this.#address, error.message));
  }

  /** Binds a UDP socket on host:port (port 0: any free port). Fails with a one-line BindError. */
  static bind(address: PeerAddress): Promise<UdpTransport> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
      const onError = (error: NodeJS.ErrnoException): void => {
        socket.close();
        const why =
          error.code === 'EADDRINUSE'
            ? 'the port is already in use'
            : error.code === 'EADDRNOTAVAIL'
              ? 'that address is not on this machine'
              : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
                ? 'the host name does not resolve'
                : error.code === 'EACCES'
                  ? 'permission denied'
                  : error.message;
        reject(new BindError(`cannot bind UDP ${formatAddress(address)}: ${why}`));
      };
      socket.once('error', onError);
      socket.bind(address.port, address.host, () => {
        socket.off('error', onError);
        const bound = socket.address();
        resolve(new UdpTransport(socket, { host: address.host, port: bound.port }));
      });
    });
  }

  get address(): PeerAddress {
    return this.#address;
  }

  send(peer: PeerAddress, payload: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (payload.length > MAX_DATAGRAM_BYTES) {
      this.#reportSendError(peer, `datagram of ${payload.length} bytes is over ${MAX_DATAGRAM_BYTES}`);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      try {
        this.#socket.send(payload, peer.port, peer.host, (error) => {
          if (error) this.#reportSendError(peer, error.message);
          resolve();
        });
      } catch (error) {
        // dgram throws synchronously on arguments it refuses (a bad port, a closed socket).
        this.#reportSendError(peer, (error as Error).message);
        resolve();
      }
    });
  }

  onDatagram(listener: DatagramListener): void {
    this.#socket.on('message', (message, remote) => {
      listener(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), {
        host: remote.address,
        port: remote.port,
      });
    });
  }

  onSendError(listener: SendErrorListener): void {
    this.#sendErrorListeners.push(listener);
  }

  #reportSendError(peer: PeerAddress, message: string): void {
    for (const listener of this.#sendErrorListeners) listener(peer, message);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
