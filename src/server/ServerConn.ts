import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import type { Frame } from '../packers/Packer';
import type { ClientSendMessage } from '../protocol/messages';
import type { ChskRequest, TransportType } from '../protocol/events';
import type { ClaimQueue } from './ClaimQueue';
import type { ServerConnection } from './ServerConnection';
import type { ServerStream } from './ServerStream';
import type { TokenBucket } from './TokenBucket';

/** One topic join of a connection: its topic, and whether `authorizeTopic` has said yes yet. */
export interface TopicJoin {
  readonly topic: string;
  joined: boolean;
}

/** How the core guards a connection's outgoing buffer (one shared object per server). */
export interface WriteGuard {
  /** Bytes a connection may have waiting in its socket before it counts as a slow consumer. */
  readonly maxBufferedBytes: number;
  /** `'close'`: close a connection judged slow; `'drop'`: drop frames while a slow one is over the bound. */
  readonly policy: 'close' | 'drop';
  /** How long a backlog may stay over the bound before the connection is judged slow (`slowConsumerMs`). */
  readonly windowMs: number;
  readonly scheduler: SchedulerLike;
  /** Called when a connection is judged slow (`'close'`) or drops its first frame of an episode (`'drop'`). */
  overflow(conn: ServerConn): void;
}

/** The guard's look at a connection whose backlog crossed the bound one window ago. */
function judge(this: SchedulerAction<ServerConn>, conn?: ServerConn): void {
  conn!.judge();
}

/** A request waiting for its reply. */
export interface PendingRequest {
  /** Scheduler time at which it gets `CHSK_NO_REPLY`. */
  readonly at: number;
  /** Its event id, for the error message. */
  readonly id: string;
  /** Its message id when the dedupe gate claimed it: its answer is recorded under it (once: `settled`). */
  readonly mid?: number | undefined;
  settled?: boolean;
}

/** The core's record of one open connection. Kept small: thousands of these live at once. */
export class ServerConn {
  /**
   * Requests waiting for a reply: reply id → its deadline. In arrival order, which is deadline order (every
   * request gets `requestTimeoutMs`). Created on first request.
   */
  pending: Map<number, PendingRequest> | undefined = undefined;
  /** Topic joins by topic id (`tid`), pending or accepted. Created on first join. */
  joins: Map<number, TopicJoin> | undefined = undefined;
  /** The connection's topic join rate (`topicJoinRate`), made on its first join. */
  joinBucket: TokenBucket | undefined = undefined;
  /** Requests cancelled (`sc`) while async validation was under way: dropped when they leave it. At most `maxPendingRequests`. */
  cancelled: Set<number> | undefined = undefined;
  /** Streamed replies in progress, by reply id (a reply id stays taken until its stream ends). Created on first stream. */
  streams: Map<number, ServerStream> | undefined = undefined;
  /** One timer for the oldest deadline in `pending`, re-armed lazily when it fires (not one timer per request). */
  deadline: Subscription | undefined = undefined;
  open = true;
  /** When a frame last arrived (scheduler time), for the keep-alive sweep. */
  lastActivity = 0;
  /** The link's `bytesReceived` when the keep-alive sweep last looked. */
  bytesSeen = 0;
  /** When the keep-alive pinged a silent connection, or -1. */
  pingedAt = -1;
  /** The connection's rate limit, created on its first message when `rateLimit` is on. */
  bucket: TokenBucket | undefined = undefined;
  /** Invalid frames and batch members so far (closed at `maxProtocolErrors`). */
  protocolErrors = 0;
  /** Frames dropped because the client reads too slowly (`slowConsumer: 'drop'`). */
  dropped = 0;
  /** Acks collected while the core works through one incoming frame; they leave together (`ConnWriter.ack`). */
  acks: number[] | undefined = undefined;
  /** The guard's pending look at a backlog that crossed the bound (see {@link write}). */
  private check: Subscription | undefined = undefined;
  /** Judged slow and not yet back under the bound (`'drop'`: frames are dropped meanwhile). */
  private slow = false;
  /** Messages waiting behind an async `schemas` validator, in arrival order (see `checkInOrder`). */
  checkQueue: ClientSendMessage[] | undefined = undefined;
  /**
   * Frames written while the connection's opening reads the replay logs (an asynchronous log): they leave
   * after the handshake and the replay (see `finishOpen`).
   */
  held: Frame[] | undefined = undefined;
  /**
   * Frames received while the adapter decides whether this connection's uid arrived (a round trip on a cluster):
   * they are handled once the uidport-open it causes, if any, is on `events$` (see `ServerAdapter.add`).
   */
  inbox: Frame[] | undefined = undefined;
  /** Messages waiting for the dedupe store's verdict (a store that answers with a Promise), in arrival order. */
  claims: ClaimQueue | undefined = undefined;

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

  /**
   * Writes a frame through the slow-consumer guard. Slowness is judged over time, not by one write: right
   * after a large write the socket holds all of it (the kernel has taken nothing yet), so a backlog over
   * `maxBufferedBytes` only arms a look `slowConsumerMs` later, and the connection is slow if its backlog is
   * still over the bound then. One 8 MiB push to a healthy loopback client used to close it with 1013.
   */
  write(frame: Frame, immediate = false): void {
    if (!this.open) return;
    if (this.held) return void this.held.push(frame);
    const max = this.guard.maxBufferedBytes;
    if (max === Infinity) return this.link.send(frame, immediate);
    if (this.slow) {
      if ((this.link.bufferedAmount ?? 0) > max) {
        if (this.dropped++ === 0) this.guard.overflow(this);
        return;
      }
      this.slow = false;
    }
    this.dropped = 0;
    this.link.send(frame, immediate);
    if (this.check === undefined && (this.link.bufferedAmount ?? 0) > max) {
      this.check = this.guard.scheduler.schedule(judge, this.guard.windowMs, this);
    }
  }

  /** @internal The guard's look, one window after the backlog crossed the bound. */
  judge(): void {
    this.check = undefined;
    if (!this.open || (this.link.bufferedAmount ?? 0) <= this.guard.maxBufferedBytes) return;
    // 'drop': frames are dropped from now on while it stays over (the first drop is reported); 'close': now.
    if (this.guard.policy === 'drop') this.slow = true;
    else this.guard.overflow(this);
  }

  /** Stops the guard's timer (the connection closed). */
  release(): void {
    this.check?.unsubscribe();
    this.check = undefined;
  }
}
