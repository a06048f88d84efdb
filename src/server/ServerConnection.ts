import type { Frame } from '../packers/Packer';
import type { TransportType } from '../protocol/events';

/**
 * The minimal connection the server core needs from a transport binding (ws, long-poll, a test fake).
 * The binding owns the socket; the core only writes frames and asks to close.
 */
export interface ServerConnection {
  readonly transport: TransportType;
  /**
   * Writes one frame. Must not throw; a binding that cannot write drops the frame and reports a close.
   * `immediate`: the core has nothing more for this connection in this tick (a batch flush writes one frame
   * per connection), so a binding that holds writes to coalesce them should let this one go at once.
   */
  send(frame: Frame, immediate?: boolean): void;
  /** Closes the connection; the binding reports it back through `ConnectionHandle.closed`. */
  close(code: number, reason: string): void;
  /** Bytes written but not yet flushed to the network, when the binding knows it. */
  readonly bufferedAmount?: number;
  /**
   * Bytes received from the peer so far, when the binding knows it: every frame counts, WebSocket pings and
   * pongs and the fragments of a message still arriving included. The keep-alive takes any growth as activity.
   */
  readonly bytesReceived?: number;
}

/** What the core hands back to the binding for one open connection. */
export interface ConnectionHandle {
  /** Feeds one incoming frame (untrusted). */
  receive(frame: Frame): void;
  /**
   * Resolves once no message fed so far waits for the dedupe store (a store that answers with a Promise, such
   * as Redis); undefined when none does. An Ajax POST answer waits for it, so the replies of handlers that
   * answer at once still ride back on it.
   */
  idle?(): Promise<void> | undefined;
  /** Tells the core the connection is gone. Idempotent. */
  closed(code: number, reason: string): void;
  /**
   * Moves the connection onto another transport (the Ajax → WebSocket upgrade): the same connection, pending
   * requests and presence entry, no new handshake; every later frame goes to `link`. False when the
   * connection is already closed.
   */
  swapLink(link: ServerConnection): boolean;
  /**
   * Set when the handshake could not be written at once (the adapter's replay log answers after a round trip):
   * resolves once it is. A binding that answers the handshake itself (Ajax) waits for it.
   */
  readonly opened?: Promise<void>;
}
