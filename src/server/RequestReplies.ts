import type { Frame } from '../packers/Packer';
import { ErrorCode } from '../protocol/codes';
import type { ReplyFn, ServerEventMsg } from '../protocol/events';
import { MessageType, type ClientSendMessage, type ErrorMessage, type RequestMessage, type ServerMessage } from '../protocol/messages';
import { ProtocolError } from '../errors/ProtocolError';
import type { StoredReply } from './adapter/Dedupe';
import { DedupeGate } from './DedupeGate';
import { markPending } from './replyState';
import type { PendingRequest, ServerConn } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';
import type { ResolvedServerOptions } from './serverOptions';
import { ServerStream, type StreamLink } from './ServerStream';

/** What {@link RequestReplies} needs from the server core. */
export interface ReplyHost {
  readonly options: ResolvedServerOptions;
  /** Message-id dedupe, when on: a claimed request's answer is recorded there. */
  readonly dedupe: DedupeGate | undefined;
  report(r: ServerErrorReport): void;
  /** Packs and writes a message after what must go before it (see `ConnWriter.beforeWrite`). */
  write(conn: ServerConn, m: ServerMessage): void;
  /** Flushes the pushes and acks that must leave before a direct write. */
  beforeWrite(conn: ServerConn): void;
  /** Hands a message to `events$` subscribers. */
  deliver(m: ServerEventMsg): void;
  /** Acknowledges an accepted event. */
  ack(conn: ServerConn, mid: number): void;
  /** Refuses a message with an `x` error carrying its ids. */
  refuse(conn: ServerConn, e: unknown, from?: unknown): void;
}

/**
 * Requests and their replies on the server: a request is registered as pending with its deadline, handed to
 * `events$` with its `reply` function, and answered exactly once (a reply, an error, `CHSK_NO_REPLY` at its
 * deadline, or a stream). A claimed request's answer is recorded in the dedupe gate, even when its connection
 * has gone. Events are handed on and acknowledged.
 */
export class RequestReplies {
  constructor(private readonly host: ReplyHost) {}

  /**
   * Registers request `m` as waiting for its reply (with its deadline), or refuses it (a reply id in use, too
   * many pending; a claimed one records the refusal as its answer). `mid`: the claimed message id its answer is
   * recorded under.
   */
  register(conn: ServerConn, m: RequestMessage, mid?: number): PendingRequest | undefined {
    const options = this.host.options;
    const rid = m.rid;
    const pending = (conn.pending ??= new Map());
    const busy = pending.has(rid) || conn.streams?.has(rid);
    if (busy || pending.size + (conn.streams?.size ?? 0) >= options.maxPendingRequests) {
      const e = busy
        ? new ProtocolError(ErrorCode.DuplicateReplyId, `reply id ${rid} is already waiting for a reply`)
        : new ProtocolError(ErrorCode.TooManyPending, `too many requests waiting for replies (maxPendingRequests: ${options.maxPendingRequests})`);
      this.host.refuse(conn, e, m);
      if (mid !== undefined) this.host.dedupe!.answered(conn, mid, { t: MessageType.Error, rid, mid, code: e.code, msg: e.message });
      return undefined;
    }
    const entry: PendingRequest = { at: options.scheduler.now() + options.requestTimeoutMs, id: m.ev[0], mid, settled: false };
    pending.set(rid, entry);
    // requestTimeoutMs: Infinity arms no timer (a request then waits until it is answered or its connection closes).
    if (options.requestTimeoutMs !== Infinity) conn.deadline ??= options.scheduler.schedule(() => this.expire(conn), options.requestTimeoutMs);
    return entry;
  }

  /** Writes a request's answer if it still waits, and records it when the request was claimed. */
  private answer(conn: ServerConn, rid: number, entry: PendingRequest, x: StoredReply, frame?: Frame): void {
    const live = this.take(conn, rid);
    // A claimed request's answer is recorded as the frame it is sent as (one object to keep, see StoredReply).
    if (entry.mid !== undefined && !entry.settled) this.settle(conn, entry, (frame ??= this.host.options.packer.pack(x)));
    if (!live) return;
    this.host.beforeWrite(conn);
    conn.write(frame ?? this.host.options.packer.pack(x));
  }

  /** Records the answer of a claimed request (once), so a repeated copy gets it. */
  private settle(conn: ServerConn, entry: PendingRequest, answer: StoredReply): void {
    if (entry.mid === undefined || entry.settled) return;
    entry.settled = true;
    this.host.dedupe!.answered(conn, entry.mid, answer);
  }

  /** Hands a checked (and claimed) message to `events$`: a request with its `reply`, an event then acknowledged. */
  dispatch(conn: ServerConn, m: ClientSendMessage, data: unknown): void {
    const id = m.ev[0];
    let reply: ReplyFn<unknown> | undefined;
    if (m.t === MessageType.Request) {
      const rid = m.rid;
      if (conn.cancelled?.delete(rid)) return; // cancelled while it waited for validation
      const mid = this.host.dedupe && DedupeGate.applies(m) ? m.mid : undefined;
      // A claimed request whose connection closed while its claim was awaited is handled all the same: its
      // answer is recorded for the copy the client sends on its next connection.
      const entry = conn.open ? this.register(conn, m, mid) : { at: 0, id, mid, settled: false };
      if (!entry) return;
      const fn = ((value: unknown) => {
        if (entry.settled || !(conn.pending?.get(rid) === entry || entry.mid !== undefined)) return;
        const r: StoredReply = { t: MessageType.Reply, rid, d: value };
        let frame: Frame;
        try {
          frame = this.host.options.packer.pack(r);
        } catch (error) {
          // An unpackable reply (a BigInt, a cycle, too deep) must not throw into the handler and leave the
          // client waiting: it answers with an error instead.
          this.host.report({ code: ErrorCode.HandlerError, message: `reply to "${id}" could not be packed`, clientId: conn.clientId, uid: conn.uid, error });
          return this.answer(conn, rid, entry, { t: MessageType.Error, rid, code: ErrorCode.HandlerError, msg: 'the reply could not be packed' });
        }
        this.answer(conn, rid, entry, r, frame);
      }) as ReplyFn<unknown>;
      fn.error = (code: string, message: string) => {
        if (entry.settled || !(conn.pending?.get(rid) === entry || entry.mid !== undefined)) return;
        this.answer(conn, rid, entry, { t: MessageType.Error, rid, code: String(code), msg: String(message) });
      };
      // The same entry, not just the rid: a client may reuse a rid once its request was answered.
      markPending(fn, () => conn.open && conn.pending?.get(rid) === entry);
      const window = m.w;
      // Returns the stream (runHandler keeps it, to fail it if the handler fails); the public type says void.
      (fn as { stream: (source: unknown) => ServerStream | undefined }).stream = (source: unknown) => {
        if (window === undefined) {
          if (entry.settled || !(conn.pending?.get(rid) === entry || entry.mid !== undefined)) return undefined;
          this.host.report({ code: ErrorCode.NotAStream, message: `a handler streamed its answer to "${id}", sent with send(): use stream$ on the client`, clientId: conn.clientId, uid: conn.uid });
          this.answer(conn, rid, entry, { t: MessageType.Error, rid, code: ErrorCode.NotAStream, msg: 'the server answers this request with a stream: use stream$' });
          return undefined;
        }
        if (!this.take(conn, rid)) return undefined;
        return this.openStream(conn, rid, window, source);
      };
      reply = fn;
    }
    const msg = {
      event: data === undefined ? [id] : data === m.ev[1] ? m.ev : [id, data],
      id,
      data,
      uid: conn.uid,
      clientId: conn.clientId,
      transport: conn.transport,
      req: conn.req,
      ...(reply ? { reply } : {}),
    } as unknown as ServerEventMsg;
    this.host.deliver(msg);
    if (m.t === MessageType.Event && m.mid !== undefined) this.host.ack(conn, m.mid);
  }

  /**
   * The deadline timer fired: every request past its deadline gets `CHSK_NO_REPLY`, and the timer is armed
   * again for the oldest one left. Answered requests only leave the map (the timer is cancelled when the map
   * empties), so with many requests in flight a request costs no timer of its own.
   */
  private expire(conn: ServerConn): void {
    conn.deadline = undefined;
    const pending = conn.pending;
    if (!pending || !conn.open) return;
    const options = this.host.options;
    const now = options.scheduler.now();
    for (const [rid, p] of pending) {
      if (p.at > now) {
        conn.deadline = options.scheduler.schedule(() => this.expire(conn), p.at - now);
        return;
      }
      pending.delete(rid);
      const x: ErrorMessage = { t: MessageType.Error, rid, code: ErrorCode.NoReply, msg: `no reply to "${p.id}" within ${options.requestTimeoutMs} ms` };
      this.settle(conn, p, x);
      this.host.write(conn, x);
    }
  }

  /** Removes a pending request; true when it was still waiting (so exactly one answer goes out). */
  take(conn: ServerConn, rid: number): boolean {
    if (!conn.open || !conn.pending?.delete(rid)) return false;
    // Nothing left to time out: no timer lingers (and virtual time has nothing to run).
    if (conn.pending.size === 0 && conn.deadline) {
      conn.deadline.unsubscribe();
      conn.deadline = undefined;
    }
    return true;
  }

  /** Starts a streamed reply to request `rid` (see {@link ServerStream}). */
  private openStream(conn: ServerConn, rid: number, window: number, source: unknown): ServerStream {
    const host = this.host;
    const link: StreamLink = {
      write: (m) => {
        host.beforeWrite(conn);
        conn.write(host.options.packer.pack(m));
      },
      done: (s) => {
        if (conn.streams?.get(s.rid) === s) conn.streams.delete(s.rid);
      },
      report: (code, message, error) => host.report({ code, message, clientId: conn.clientId, uid: conn.uid, error }),
    };
    const stream = new ServerStream(rid, Math.min(window, host.options.maxStreamWindow), link);
    (conn.streams ??= new Map()).set(rid, stream);
    stream.start(source);
    return stream;
  }
}
