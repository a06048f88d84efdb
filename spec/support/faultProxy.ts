import { createServer, connect, type Server, type Socket } from 'net';
import type { AddressInfo } from 'net';

/** What the proxy does to traffic. */
export type FaultMode = 'forward' | 'blackhole' | 'slow';

/**
 * A TCP proxy for fault tests, after toxiproxy's toxics: `forward` passes bytes through; `blackhole` keeps
 * both sockets open and silently drops every byte (a half-open link); `slow` delays each chunk;
 * `reset()` destroys every connection with a TCP RST.
 */
export class FaultProxy {
  mode: FaultMode = 'forward';
  slowMs = 50;
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(private targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const pipe = (from: Socket, to: Socket) =>
        from.on('data', (chunk) => {
          if (this.mode === 'blackhole') return;
          // The one real-time wait in the harness: it simulates a slow network, outside the library.
          if (this.mode === 'slow') setTimeout(() => to.writable && to.write(chunk), this.slowMs);
          else if (to.writable) to.write(chunk);
        });
      pipe(client, upstream);
      pipe(upstream, client);
      const end = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
  }

  static async start(targetPort: number): Promise<FaultProxy> {
    const p = new FaultProxy(targetPort);
    await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
    return p;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Number of live proxied connections. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Sends new connections to another port (a server restarted elsewhere is, for the client, the same address). */
  retarget(port: number): void {
    this.targetPort = port;
  }

  /**
   * Stops reading what the server sends on every live connection (a client that reads too slowly): the server's
   * socket buffer fills for real. `unstall()` reads again.
   */
  stall(): void {
    for (const [, upstream] of this.pairs) upstream.pause();
  }

  unstall(): void {
    for (const [, upstream] of this.pairs) upstream.resume();
  }

  /** Cuts every connection with a TCP reset. */
  reset(): void {
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    this.pairs.clear();
  }

  /**
   * Stops listening and resets every connection: new connections are refused (ECONNREFUSED), as when the
   * server is down. `resume()` listens again on the same port.
   */
  async pause(): Promise<void> {
    this.reset();
    this.lastPort = this.port;
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Listens again on the port it had before `pause()`. */
  async resume(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(this.lastPort, '127.0.0.1', r));
  }

  private lastPort = 0;

  async close(): Promise<void> {
    if (!this.server.listening) return this.reset();
    this.reset();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
