import type { Subscription } from 'rxjs';
import type { Frame } from '../packers/Packer';
import type { ChskRequest, TransportType } from '../protocol/events';
import type { ServerConnection } from './ServerConnection';
import type { TokenBucket } from './TokenBucket';

/** The core's record of one open connection. Kept small: thousands of these live at once. */
export class ServerConn {
  /** Requests waiting for a reply: reply id → their `requestTimeoutMs` timer. Created on first request. */
  pending: Map<number, Subscription> | undefined = undefined;
  open = true;
  /** When a frame last arrived (scheduler time), for the keep-alive sweep. */
  lastActivity = 0;
  /** When the keep-alive pinged a silent connection, or -1. */
  pingedAt = -1;
  /** The connection's rate limit, created on its first message when `rateLimit` is on. */
  bucket: TokenBucket | undefined = undefined;
  /** Invalid frames and batch members so far (closed at `maxProtocolErrors`). */
  protocolErrors = 0;

  constructor(
    readonly id: number,
    /** The uid as `userId` gave it (`null` for users without one). */
    readonly uid: string | null,
    /** The presence key: the uid, or `NIL_UID`. */
    readonly key: string,
    readonly clientId: string,
    readonly req: ChskRequest,
    /** The transport carrying the connection; replaced only by `ServerCore.swapLink` (Ajax → WebSocket upgrade). */
    public link: ServerConnection,
  ) {}

  get transport(): TransportType {
    return this.link.transport;
  }

  write(frame: Frame): void {
    if (this.open) this.link.send(frame);
  }
}
