import { ProtocolError } from '../errors/ProtocolError';
import type { Frame } from '../packers/Packer';
import { checkTree } from '../protocol/checkTree';
import { CloseCode, ErrorCode } from '../protocol/codes';
import {
  MessageType,
  type ClientBatchable,
  type ClientSendMessage,
  type CreditMessage,
  type ErrorMessage,
  type ServerMessage,
  type StreamCancelMessage,
} from '../protocol/messages';
import { validateClientBatchable, validateClientMessage } from '../protocol/validateMessage';
import { checkInOrder } from '../schemas/OrderedChecks';
import type { DataGate, DataRefusal } from './DataGate';
import type { DedupeGate } from './DedupeGate';
import type { RequestReplies } from './RequestReplies';
import type { ServerConn } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';
import type { StatsCounters } from './ServerStats';
import type { ServerTopics } from './ServerTopics';
import type { ResolvedServerOptions } from './serverOptions';
import { TokenBucket } from './TokenBucket';

/** What {@link FrameIntake} needs from the server core. */
export interface IntakeHost {
  readonly options: ResolvedServerOptions;
  readonly counters: StatsCounters;
  readonly topics: ServerTopics;
  /** The `schemas` check, when the server has schemas or is strict. */
  readonly gate: DataGate | undefined;
  /** Message-id dedupe, when on. */
  readonly dedupe: DedupeGate | undefined;
  readonly replies: RequestReplies;
  report(r: ServerErrorReport): void;
  write(conn: ServerConn, m: ServerMessage): void;
  /** Refuses a message with an `x` error carrying its ids (and counts protocol errors). */
  refuse(conn: ServerConn, e: unknown, from?: unknown): void;
  /** Closes one connection from the server side. */
  kick(conn: ServerConn, code: number, reason: string): void;
}

/**
 * The incoming side of a connection, one frame at a time: size check, unpack and `checkTree`, message
 * validation, pings, batches, stream control, the rate limit, topic joins and leaves, then the `schemas` check
 * in arrival order and the dedupe gate before the handlers (`RequestReplies.dispatch`).
 */
export class FrameIntake {
  constructor(private readonly host: IntakeHost) {}

  /** Handles one frame from an open connection (the core has collected its acks around it). */
  receiveFrame(conn: ServerConn, frame: Frame): void {
    const host = this.host;
    const options = host.options;
    host.counters.framesIn++;
    conn.lastActivity = options.scheduler.now();
    const size = typeof frame === 'string' ? frame.length : frame.byteLength;
    if (size > options.maxFrameBytes) {
      return host.refuse(conn, new ProtocolError(ErrorCode.TooLarge, `frame of ${size} bytes exceeds maxFrameBytes (${options.maxFrameBytes})`));
    }
    let raw: unknown;
    try {
      raw = options.packer.unpack(frame);
      checkTree(raw, options.maxDepth);
    } catch (e) {
      return host.refuse(conn, e);
    }
    let m;
    try {
      m = validateClientMessage(raw, options.maxBatchSize);
    } catch (e) {
      return host.refuse(conn, e, raw);
    }
    switch (m.t) {
      case MessageType.Ping:
        if (this.allow(conn)) host.write(conn, { t: MessageType.Pong });
        return;
      case MessageType.Pong:
        return;
      case MessageType.Batch:
        for (const member of m.ms) {
          if (!conn.open) return;
          let b: ClientBatchable;
          try {
            b = validateClientBatchable(member);
          } catch (e) {
            host.refuse(conn, e, member);
            continue;
          }
          if (this.streamControl(conn, b) || this.allow(conn, b)) this.admit(conn, b);
        }
        return;
      default:
        if (this.streamControl(conn, m) || this.allow(conn, m)) this.admit(conn, m);
        return;
    }
  }

  /**
   * Takes a rate-limit token for one message. Without one the message is refused with `CHSK_RATE_LIMITED`
   * (with its `rid` and `mid`), and after `closeAfter` refusals the connection is closed with 4429.
   */
  private allow(conn: ServerConn, from?: ClientBatchable): boolean {
    const limit = this.host.options.rateLimit;
    if (!limit) return true;
    const scheduler = this.host.options.scheduler;
    conn.bucket ??= new TokenBucket(limit.perSecond, limit.burst, () => scheduler.now());
    if (conn.bucket.take()) return true;
    this.host.refuse(conn, new ProtocolError(ErrorCode.RateLimited, `rate limit exceeded (${limit.perSecond}/s, burst ${limit.burst})`), from);
    if (conn.bucket.refused >= limit.closeAfter) this.host.kick(conn, CloseCode.RateLimited, `${ErrorCode.RateLimited}: kept sending past the rate limit`);
    return false;
  }

  /**
   * A cancel or credit for one of the connection's live streams is handled here, without a rate-limit token:
   * there is at most one cancel per stream and one useful credit per item the server sent, so they cannot flood.
   * Anything else (an unknown stream, a credit that grants nothing) takes a token like any message. Returns true
   * when the message was handled.
   */
  private streamControl(conn: ServerConn, m: ClientBatchable): boolean {
    if (m.t !== MessageType.StreamCancel && m.t !== MessageType.Credit) return false;
    const stream = conn.streams?.get(m.rid);
    if (!stream) return false;
    if (m.t === MessageType.Credit) return stream.grant(m.n);
    stream.cancel();
    return true;
  }

  /**
   * A cancel or credit that {@link streamControl} did not take. A cancel of a request not yet answered forgets it;
   * one whose request still waits for its async validation (cancels are not queued behind it) is remembered, and
   * the request is dropped when it comes out of the queue instead of reaching a handler.
   */
  private streamMessage(conn: ServerConn, m: StreamCancelMessage | CreditMessage): void {
    if (m.t !== MessageType.StreamCancel || this.host.replies.take(conn, m.rid) || (!conn.checkQueue && !conn.claims)) return;
    // Validation is under way (the request may be the one being checked, not yet in the queue). Bounded like the
    // queue; an honest client only cancels rids it sent, so an entry never meets a later request by mistake.
    const cancelled = (conn.cancelled ??= new Set());
    if (cancelled.size < this.host.options.maxPendingRequests) cancelled.add(m.rid);
  }

  /** Validates a message's data (`schemas`) in arrival order, then dispatches it or refuses it. */
  private admit(conn: ServerConn, m: ClientBatchable): void {
    if (m.t === MessageType.StreamCancel || m.t === MessageType.Credit) return this.streamMessage(conn, m);
    const host = this.host;
    if (m.t === MessageType.TopicJoin) return host.topics.join(conn, m);
    if (m.t === MessageType.TopicLeave) return host.topics.leave(conn, m);
    if (!host.gate) return this.toHandler(conn, m, m.ev[1]);
    if (conn.checkQueue && conn.checkQueue.length >= host.options.maxPendingRequests) {
      return host.refuse(conn, new ProtocolError(ErrorCode.TooManyPending, `too many messages waiting for validation (maxPendingRequests: ${host.options.maxPendingRequests})`), m);
    }
    checkInOrder(conn, m, host.gate.check, this.checked);
  }

  private readonly checked = (conn: ServerConn, m: ClientSendMessage, r: { ok: true; value: unknown } | DataRefusal): void => {
    if (!conn.open) return;
    if (r.ok) this.toHandler(conn, m, r.value);
    else this.refuseData(conn, m, r);
  };

  private refuseData(conn: ServerConn, m: ClientSendMessage, r: DataRefusal): void {
    const rid = m.t === MessageType.Request ? m.rid : undefined;
    const mid = m.mid;
    this.host.report({ code: r.code, message: r.message, clientId: conn.clientId, uid: conn.uid, issues: r.issues, ...(r.error !== undefined ? { error: r.error } : {}) });
    const x: ErrorMessage = {
      t: MessageType.Error,
      code: r.code,
      msg: r.message,
      ...(rid !== undefined ? { rid } : {}),
      ...(mid !== undefined ? { mid } : {}),
      ...(r.issues.length ? { issues: r.issues } : {}),
    };
    this.host.write(conn, x);
  }

  /** Hands a checked message on to the handlers: through the dedupe gate when it is on. */
  private toHandler(conn: ServerConn, m: ClientSendMessage, data: unknown): void {
    const dedupe = this.host.dedupe;
    if (dedupe) dedupe.admit(conn, m, data);
    else this.host.replies.dispatch(conn, m, data);
  }
}
