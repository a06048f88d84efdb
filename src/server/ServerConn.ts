import type { Subscription } from 'rxjs';
import type { Frame } from '../packers/Packer';
import type { ChskRequest, TransportType } from '../protocol/events';
import type { ServerConnection } from './ServerConnection';
import type { TokenBucket } from './TokenBucket';

/** How the core guards a connection's outgoing buffer (one shared object per server). */
export interface WriteGuard {
  /** Bytes a connection may have waiting in its socket before it counts as a slow consumer. */
  readonly maxBufferedBytes: number;
  /** `'close'`: close it after the write that crossed the bound; `'drop'`: drop frames while it is over. */
  readonly policy: 'close' | 'drop';
  /** Called when a connection crosses the bound (`'close'`) or drops its first frame of an episode (`'drop'`). */
  overflow(conn: ServerConn): void;
}

/** A request waiting for its reply. */
export interface PendingRequest {
  /** Scheduler time at which it gets `CHSK_NO_REPLY`. */
  readonly at: number;
  /** Its event id, for the error message. */
  readonly id: string;
}

/** The core's record of one open connection. Kept small: thousands of these live at once. */
export class ServerConn {
  /**
   * Requests waiting for a reply: reply id → its deadline. In arrival order, which is deadline order (every
   * request gets `requestTimeoutMs`). Created on first request.
   */
  pending: Map<number, PendingRequest> | undefined = undefined;
  /** One timer for the oldest deadline in `pending`, re-armed lazily when it fires (not one timer per request). */
  deadline: Subscription | undefined = undefined;
  open = true;
  /** When a frame last arrived (scheduler time), for the keep-alive sweep. */
  lastActivity = 0;
  /** When the keep-alive pinged a silent connection, or -1. */
  pingedAt = -1;
  /** The connection's rate limit, created on its first message when `rateLimit` is on. */
  bucket: TokenBucket | undefined = undefined;
  /** Invalid frames and batch members so far (closed at `maxProtocolErrors`). */
  protocolErrors = 0;
  /** Frames dropped because the client reads too slowly (`slowConsumer: 'drop'`). */
  dropped = 0;
  /** Acks collected while the core works through one incoming frame; they leave together (`ServerCore.ack`). */
  acks: number[] | undefined = undefined;

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
    private readonly guard: WriteGuard,
  ) {}

  get transport(): TransportType {
    return this.link.transport;
  }

  /** Writes a frame through the slow-consumer guard; `immediate` as in `ServerConnection.send`. */
  write(frame: Frame, immediate = false): void {
    if (!this.open) return;
    const max = this.guard.maxBufferedBytes;
    if (max === Infinity) return this.link.send(frame, immediate);
    if (this.guard.policy === 'drop' && (this.link.bufferedAmount ?? 0) > max) {
      if (this.dropped++ === 0) this.guard.overflow(this);
      return;
    }
    this.dropped = 0;
    this.link.send(frame, immediate);
    if (this.guard.policy === 'close' && (this.link.bufferedAmount ?? 0) > max) this.guard.overflow(this);
  }
}
