import { Subject } from 'rxjs';
import { KeepAliveSweep } from './KeepAliveSweep';
import { PushBatcher } from './PushBatcher';
import { ChannelError } from '../errors/ChannelError';
import { ProtocolError } from '../errors/ProtocolError';
import type { Frame } from '../packers/Packer';
import { checkTree } from '../protocol/checkTree';
import { CloseCode, ErrorCode } from '../protocol/codes';
import { NIL_UID, type ChskRequest, type ReplyFn, type ServerEventMsg, type TransportType, type UidPortMsg } from '../protocol/events';
import {
  MessageType,
  PROTOCOL_VERSION,
  type AckMessage,
  type ClientBatchable,
  type ClientSendMessage,
  type ErrorMessage,
  type EventMessage,
  type RequestMessage,
  type ReplyMessage,
  type HandshakeMessage,
  type ServerMessage,
  type StreamCancelMessage,
  type CreditMessage,
} from '../protocol/messages';
import { isReplyId, validateClientBatchable, validateClientMessage } from '../protocol/validateMessage';
import type { SubscriberFailure } from './GuardedObservable';
import { MemoryAdapter } from './adapter/MemoryAdapter';
import type { ServerAdapter } from './adapter/ServerAdapter';
import { markPending } from './replyState';
import { ServerConn, type PendingRequest, type WriteGuard } from './ServerConn';
import type { ConnectionHandle, ServerConnection } from './ServerConnection';
import type { ResolvedServerOptions } from './serverOptions';
import type { ServerErrorReport } from './ServerErrorReport';
import { StatsCounters } from './ServerStats';
import { TokenBucket } from './TokenBucket';
import { DataGate, type DataRefusal } from './DataGate';
import { checkInOrder } from '../schemas/OrderedChecks';
import type { DataIssue } from '../schemas/DataIssue';
import { ServerStream, type StreamLink } from './ServerStream';
import { ServerTopics, topicLog } from './ServerTopics';
import { LocalTopics } from './TopicRegistry';
import { finishOpen, parseResume, readResume } from './ReplayOnOpen';
import { DedupeGate } from './DedupeGate';
import { isPackedReply, type StoredReply } from './adapter/Dedupe';

export type { ServerErrorReport } from './ServerErrorReport';

/** Who a new connection is, as the binding established it. */
export interface ConnectionInfo {
  readonly uid: string | null;
  readonly clientId: string;
  readonly req: ChskRequest;
  /** Extra handshake fields (the Ajax token). */
  readonly handshake?: Partial<HandshakeMessage>;
  readonly handshakeData?: unknown;
  /** The `rs` query parameter as received (untrusted): the positions a reconnecting client presents. */
  readonly resume?: string | null;
}

/**
 * The transport-independent server: connections, presence, requests and replies, pushes. Bindings (ws,
 * long-poll, the testing fakes) feed it frames through a {@link ConnectionHandle}.
 */
export class ServerCore {
  readonly events = new Subject<ServerEventMsg<never> | ServerEventMsg>();
  readonly errors = new Subject<ServerErrorReport>();
  readonly adapter: ServerAdapter;
  readonly pushes: PushBatcher;
  readonly counters = new StatsCounters();
  /** Topic joins, leaves, publishes and removals (membership in the adapter's registry, or this process's). */
  readonly topics: ServerTopics;
  private readonly keepAlive: KeepAliveSweep | undefined;
  private readonly writeGuard: WriteGuard;
  private nextConnId = 1;
  private closing = false;
  /** The message `events` is delivering, for the context of a subscriber's failure. */
  private delivering: ServerEventMsg | UidPortMsg | undefined;
  /** The `schemas` check, when the server has schemas or is strict. */
  private readonly gate: DataGate | undefined;
  /** Message-id dedupe (the `dedupe` option), when on. */
  private readonly dedupe: DedupeGate | undefined;

  constructor(readonly options: ResolvedServerOptions) {
    this.adapter = options.adapter ?? new MemoryAdapter({ replay: options.resume, ...(options.dedupe ? { dedupe: options.dedupe } : {}) });
    this.writeGuard = {
      maxBufferedBytes: options.maxBufferedBytes,
      policy: options.slowConsumer,
      windowMs: options.slowConsumerMs,
      scheduler: options.scheduler,
      overflow: (conn) => this.slowConsumer(conn),
    };
    this.pushes = new PushBatcher(this.adapter, options, this.counters);
    this.adapter.start({
      scheduler: options.scheduler,
      graceMs: { ws: options.wsGraceMs, ajax: options.ajaxGraceMs },
      packer: options.packer,
      deliver: (key, msg, flush) => this.pushes.push(key, msg, flush),
      closeLocal: (key, code, reason) => this.closeLocal(key, code, reason),
      uidPort: (key, open, conn) => this.uidPort(key, open, conn),
      report: (r) => this.report(r),
      resume: options.resume !== false,
    });
    const registry = this.adapter.topics ?? new LocalTopics(options.scheduler);
    this.topics = new ServerTopics(
      {
        scheduler: options.scheduler,
        packer: options.packer,
        authorizeTopic: options.authorizeTopic,
        maxTopicsPerConnection: options.maxTopicsPerConnection,
        maxTopicLength: options.maxTopicLength,
        topicJoinRate: options.topicJoinRate,
        write: (conn, m) => this.write(conn, m),
        deliver: (msg, members) => this.pushes.publish(msg, members, false),
        report: (r) => this.report(r),
        log: topicLog(this.adapter, registry, options.resume !== false),
      },
      registry,
    );
    this.gate = options.schemas || options.strict ? new DataGate(options.schemas ?? {}, options.strict) : undefined;
    this.dedupe = options.dedupe ? this.dedupeGate(options.dedupe.windowMs) : undefined;
    const ka = options.keepAlive;
    this.keepAlive = ka
      ? new KeepAliveSweep(
          options.scheduler,
          ka.idleMs,
          ka.timeoutMs,
          (conn) => this.write(conn, { t: MessageType.Ping }),
          (conn) => {
            this.report({ code: ErrorCode.KeepAliveTimeout, message: 'client silent past the keep-alive timeout', clientId: conn.clientId, uid: conn.uid });
            conn.link.close(CloseCode.KeepAliveTimeout, 'keep-alive timeout');
            this.closed(conn);
          },
        )
      : undefined;
  }

  /** The dedupe gate, on the adapter's store, with the core's side of its work (see {@link DedupeHost}). */
  private dedupeGate(windowMs: number): DedupeGate {
    const holds = (conn: ServerConn, rid: number, held: object): boolean => conn.open && conn.pending?.get(rid) === held;
    return new DedupeGate(this.adapter.dedupe, {
      scheduler: this.options.scheduler,
      windowMs,
      waitMs: this.options.requestTimeoutMs === Infinity ? windowMs : this.options.requestTimeoutMs,
      handle: (conn, m, data) => this.dispatch(conn, m, data),
      answer: (conn, m, stored, held) => {
        this.counters.duplicates++;
        if (m.t === MessageType.Event) return void (m.mid !== undefined && this.ack(conn, m.mid));
        if (held ? !(holds(conn, m.rid, held) && this.take(conn, m.rid)) : !this.register(conn, m)) return;
        if (!held) this.take(conn, m.rid);
        const mid = m.mid!;
        const was = stored === undefined ? undefined : isPackedReply(stored) ? (this.options.packer.unpack(stored) as ReplyMessage | ErrorMessage) : stored;
        this.write(conn, was ? { ...was, rid: m.rid } : { t: MessageType.Error, rid: m.rid, mid, code: ErrorCode.BadMessage, msg: `message id ${mid} was an event` });
      },
      hold: (conn, m) => this.register(conn, m),
      holds,
      unhold: (conn, rid, held) => void (holds(conn, rid, held) && this.take(conn, rid)),
      inFrame: (conn, fn) => this.inFrame(conn, fn),
      report: (r) => this.report(r),
    });
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Registers an open connection, sends the handshake and returns the handle the binding feeds. */
  open(link: ServerConnection, info: ConnectionInfo): ConnectionHandle {
    const key = info.uid ?? NIL_UID;
    const conn = new ServerConn(this.nextConnId++, info.uid, key, info.clientId, this.keptRequest(info), link, this.writeGuard);
    const dd = this.dedupe ? this.dedupeEpoch(conn) : undefined;
    const hs: HandshakeMessage = {
      t: MessageType.Handshake,
      v: PROTOCOL_VERSION,
      uid: info.uid,
      cid: info.clientId,
      ...(info.handshakeData !== undefined ? { hd: info.handshakeData } : {}),
      ...(this.options.rateLimit ? { rl: { r: this.options.rateLimit.perSecond, b: this.options.rateLimit.burst } } : {}),
      ...(dd !== undefined && !(dd instanceof Promise) ? { dd } : {}),
      ...info.handshake,
    };
    const later = dd instanceof Promise ? dd : undefined;
    if (this.resumable) return this.openResumable(conn, hs, info, later);
    if (link.transport === 'ws') this.keepAlive?.add(conn);
    if (!later) {
      this.write(conn, hs);
      this.added(conn);
      return new CoreHandle(this, conn);
    }
    // The epoch comes after a round trip (a shared record): what is written meanwhile waits behind the handshake.
    conn.held = [];
    this.added(conn);
    const handle = new CoreHandle(this, conn);
    handle.opened = later.then((e) => finishOpen(conn, this.options.packer, withDedupe(hs, e), false, undefined));
    return handle;
  }

  /**
   * What the handshake says of dedupe (`hs.dd`): the adapter's dedupe epoch, `1` for an adapter without one, or
   * (a Promise of) the epoch read from a shared record; a read that fails is reported and the handshake then says
   * nothing of dedupe (the client does not resend into a record it cannot name; the server still dedupes).
   */
  private dedupeEpoch(conn: ServerConn): string | 1 | Promise<string | undefined> {
    const fail = (error: unknown): undefined => {
      this.report({ code: ErrorCode.AdapterError, message: 'could not read the dedupe epoch: the handshake leaves out dd (the client will not send again what a cut left unanswered)', clientId: conn.clientId, uid: conn.uid, error });
      return undefined;
    };
    if (!this.adapter.dedupeEpoch) return 1;
    try {
      const e = this.adapter.dedupeEpoch();
      return e instanceof Promise ? e.catch(fail) : e;
    } catch (error) {
      return Promise.resolve(fail(error));
    }
  }

  /** Pushes carry offsets and clients get their positions (the `resume` option, and an adapter that keeps logs). */
  get resumable(): boolean {
    return this.options.resume !== false && this.adapter.resumable;
  }

  /**
   * Opens a connection that resumes (PROTOCOL.md, "Offsets and resume"): pushes still in a batch window leave
   * first (they predate the connection), the connection is registered for new pushes and holds what is written
   * to it while the logs are read, then the handshake with its positions, the replay and the held frames leave
   * in that order (`finishOpen`). With the memory log all of it happens now.
   */
  private openResumable(conn: ServerConn, hs: HandshakeMessage, info: ConnectionInfo, dd?: Promise<string | undefined>): ConnectionHandle {
    const parsed = parseResume(info.resume);
    if (!parsed.ok) {
      this.report({ code: ErrorCode.BadMessage, message: `the rs query parameter was ignored (the connection opens without resume): ${parsed.why}`, clientId: conn.clientId, uid: conn.uid });
    }
    const request = parsed.ok ? parsed.request : undefined;
    this.pushes.flushAll();
    conn.held = [];
    if (conn.transport === 'ws') this.keepAlive?.add(conn);
    this.added(conn);
    const handle = new CoreHandle(this, conn);
    const packer = this.options.packer;
    let read;
    try {
      read = readResume(this.adapter.replayLog, conn.key, request);
    } catch (error) {
      read = Promise.reject(error);
    }
    if (dd) {
      // The dedupe epoch is read alongside the logs (a shared record: Redis); the handshake waits for both.
      const logs = read;
      read = dd.then((e) => ((hs = withDedupe(hs, e)), logs));
    }
    if (!(read instanceof Promise)) {
      finishOpen(conn, packer, hs, request !== undefined, read);
      return handle;
    }
    handle.opened = read.then(
      (answer) => finishOpen(conn, packer, hs, request !== undefined, answer),
      (error: unknown) => {
        this.report({ code: ErrorCode.AdapterError, message: 'could not read the replay logs: the connection opens without resume', clientId: conn.clientId, uid: conn.uid, error });
        finishOpen(conn, packer, hs, request !== undefined, undefined);
      },
    );
    return handle;
  }

  /** What the connection keeps of its request (`keepRequest`); the whole request if the hook throws. */
  private keptRequest(info: ConnectionInfo): ChskRequest {
    try {
      return this.options.keepRequest(info.req);
    } catch (error) {
      this.report({ code: ErrorCode.HandlerError, message: 'keepRequest threw; the connection keeps the whole request', clientId: info.clientId, uid: info.uid, error });
      return info.req;
    }
  }

  /**
   * Hands a push to a uid key (or everyone) to the adapter, which delivers it here through the batcher and to
   * other nodes; returns how many local connections it is queued for plus the nodes it was handed to.
   */
  push(key: string | undefined, message: EventMessage, flush = false): number {
    this.counters.pushes++;
    return key === undefined ? this.adapter.broadcast(message, flush) : this.adapter.push(key, message, flush);
  }

  /** Closes every connection of a uid key on every node (`disconnect(uid, reason)`). */
  disconnect(key: string, reason: string): Promise<void> {
    return Promise.resolve(this.adapter.disconnect(key, CloseCode.LoggedOut, reason));
  }

  /** Closes this node's connections of a uid key; returns how many. */
  private closeLocal(key: string, code: number, reason: string): number {
    let n = 0;
    for (const c of [...this.adapter.connectionsOf(key)]) n++, this.kick(c, code, reason);
    return n;
  }


  private slowConsumer(conn: ServerConn): void {
    const buffered = conn.link.bufferedAmount ?? 0;
    const close = this.options.slowConsumer === 'close';
    this.counters.slowConsumer++;
    this.report({
      code: ErrorCode.SlowConsumer,
      message: `${buffered} bytes still waiting to be sent after slowConsumerMs (${this.options.slowConsumerMs} ms) exceed maxBufferedBytes (${this.options.maxBufferedBytes}); ${close ? 'closing the connection' : 'dropping frames until it drains'}`,
      clientId: conn.clientId,
      uid: conn.uid,
    });
    if (!close) return;
    conn.link.close(CloseCode.TryAgainLater, `${ErrorCode.SlowConsumer}: the client reads too slowly`);
    this.closed(conn);
  }

  /** Closes every connection with `code` and stops all timers; resolves when the adapter has closed too. */
  shutdown(code: number, reason: string): Promise<void> {
    this.closing = true;
    this.pushes.flushAll();
    this.pushes.close();
    this.keepAlive?.close();
    this.dedupe?.close();
    for (const c of [...this.adapter.allConnections()]) {
      c.link.close(code, reason);
      this.closed(c);
    }
    this.topics.registry.close();
    const adapterClosed = this.adapter.close();
    this.events.complete();
    this.errors.complete();
    return Promise.resolve(adapterClosed);
  }

  report(r: ServerErrorReport): void {
    if (!this.errors.closed && !this.errors.isStopped) this.errors.next(r);
  }

  /** An `events$` subscriber failed (see `GuardedObservable`): reported with the message being delivered. */
  subscriberFailed(error: unknown, where: SubscriberFailure): void {
    const m = this.delivering;
    const why = String((error as Error)?.message ?? error);
    const message =
      where === 'next'
        ? `an events$ subscriber threw${m ? ` on "${m.id}"` : ''}: ${why}`
        : where === 'unhandled'
          ? `an events$ subscription failed with no error callback and has ended${m ? ` (on "${m.id}")` : ''}: ${why}`
          : `an events$ subscriber's ${where} callback threw: ${why}`;
    this.report({ code: ErrorCode.HandlerError, message, clientId: m?.clientId, uid: m?.uid, error });
  }

  /** Hands a message to `events$` subscribers, remembering it for the context of a failure. */
  private deliver(m: ServerEventMsg | UidPortMsg): void {
    const outer = this.delivering;
    this.delivering = m;
    try {
      this.events.next(m);
    } finally {
      this.delivering = outer;
    }
  }

  private write(conn: ServerConn, m: ServerMessage): void {
    this.beforeWrite(conn);
    conn.write(this.options.packer.pack(m));
  }

  /**
   * Acknowledges an accepted event. While the core works through one incoming frame the acks are collected
   * and leave together (one `a`, or one batch of them) before anything else is written to the connection, so a
   * batch of 1000 emits costs one frame back, not 1000 (an Ajax queue holds frames, not messages).
   */
  private ack(conn: ServerConn, mid: number): void {
    if (conn.acks) conn.acks.push(mid);
    else this.write(conn, { t: MessageType.Ack, mid });
  }

  /**
   * Before a reply, an error or a stream item is written straight to a connection: pushes made earlier (in the
   * same handler, say) that still wait out their batch window go first, then the collected acks, so nothing
   * written later overtakes them. The acks written at the end of an incoming frame do not flush pushes: an
   * emit's ack promises only that the server has the event, and flushing there would undo push batching
   * for every chatty client.
   */
  private beforeWrite(conn: ServerConn): void {
    this.pushes.flushBefore(conn.key);
    this.flushAcks(conn);
  }

  private flushAcks(conn: ServerConn): void {
    const acks = conn.acks;
    if (!acks || acks.length === 0) return;
    conn.acks = [];
    const ms: AckMessage[] = acks.map((mid) => ({ t: MessageType.Ack, mid }));
    conn.write(this.options.packer.pack(ms.length === 1 ? ms[0]! : { t: MessageType.Batch, ms }));
  }

  /**
   * Refuses a message with an `x` error carrying the `rid` and `mid` of `from` (the message as received, when
   * its ids are valid), so the client can tell which send was refused.
   */
  private refuse(conn: ServerConn, e: unknown, from?: unknown): void {
    const code = e instanceof ChannelError ? e.code : ErrorCode.BadMessage;
    const msg = e instanceof Error ? e.message : String(e);
    this.report({ code, message: msg, clientId: conn.clientId, uid: conn.uid, error: e });
    const rid = idOf(from, 'rid');
    const mid = idOf(from, 'mid');
    const x: ErrorMessage = {
      t: MessageType.Error,
      code,
      msg,
      ...(rid !== undefined ? { rid } : {}),
      ...(mid !== undefined ? { mid } : {}),
    };
    this.write(conn, x);
    if (PROTOCOL_ERRORS.has(code) && ++conn.protocolErrors >= this.options.maxProtocolErrors) {
      this.kick(conn, CloseCode.PolicyViolation, `${ErrorCode.TooManyErrors}: ${conn.protocolErrors} protocol errors`);
    }
  }

  /** Closes one connection from the server side; frames still in flight from it are ignored. */
  private kick(conn: ServerConn, code: number, reason: string): void {
    if (!conn.open) return;
    conn.link.close(code, reason);
    this.closed(conn);
  }

  /**
   * Takes a rate-limit token for one message. Without one the message is refused with `CHSK_RATE_LIMITED`
   * (with its `rid` and `mid`), and after `closeAfter` refusals the connection is closed with 4429.
   */
  private allow(conn: ServerConn, from?: ClientBatchable): boolean {
    const limit = this.options.rateLimit;
    if (!limit) return true;
    const scheduler = this.options.scheduler;
    conn.bucket ??= new TokenBucket(limit.perSecond, limit.burst, () => scheduler.now());
    if (conn.bucket.take()) return true;
    this.refuse(conn, new ProtocolError(ErrorCode.RateLimited, `rate limit exceeded (${limit.perSecond}/s, burst ${limit.burst})`), from);
    if (conn.bucket.refused >= limit.closeAfter) this.kick(conn, CloseCode.RateLimited, `${ErrorCode.RateLimited}: kept sending past the rate limit`);
    return false;
  }

  /** @internal Through a connection's {@link CoreHandle}. */
  receive(conn: ServerConn, frame: Frame): void {
    if (!conn.open) return;
    if (conn.inbox) {
      if (conn.inbox.length < MAX_INBOX) return void conn.inbox.push(frame);
      this.releaseInbox(conn); // a flood within one round trip: stop holding rather than grow
    }
    this.inFrame(conn, () => this.receiveFrame(conn, frame));
  }

  /**
   * Hands a new connection to the adapter; when the adapter decides the uid's arrival asynchronously, the
   * connection's incoming frames wait for that decision (see `ServerAdapter.add`).
   */
  private added(conn: ServerConn): void {
    const arriving = this.adapter.add(conn);
    if (!arriving) return;
    conn.inbox = [];
    const release = (): void => this.releaseInbox(conn);
    arriving.then(release, release);
  }

  private releaseInbox(conn: ServerConn): void {
    const frames = conn.inbox;
    conn.inbox = undefined;
    if (frames) for (const f of frames) this.receive(conn, f);
  }

  /** Runs `fn` collecting the acks it produces; they leave together at the end (see {@link ack}). */
  private inFrame(conn: ServerConn, fn: () => void): void {
    // A frame fed from inside an events$ subscriber of this connection's own frame (the testing kit) joins
    // the outer collection of acks.
    if (conn.acks) return fn();
    conn.acks = [];
    try {
      fn();
    } finally {
      this.flushAcks(conn);
      conn.acks = undefined;
    }
  }

  /** @internal Through a connection's {@link CoreHandle}: resolves once no message of it awaits the dedupe store. */
  idle(conn: ServerConn): Promise<void> | undefined {
    return this.dedupe?.idle(conn);
  }

  private receiveFrame(conn: ServerConn, frame: Frame): void {
    this.counters.framesIn++;
    conn.lastActivity = this.options.scheduler.now();
    const size = typeof frame === 'string' ? frame.length : frame.byteLength;
    if (size > this.options.maxFrameBytes) {
      return this.refuse(conn, new ProtocolError(ErrorCode.TooLarge, `frame of ${size} bytes exceeds maxFrameBytes (${this.options.maxFrameBytes})`));
    }
    let raw: unknown;
    try {
      raw = this.options.packer.unpack(frame);
      checkTree(raw, this.options.maxDepth);
    } catch (e) {
      return this.refuse(conn, e);
    }
    let m;
    try {
      m = validateClientMessage(raw, this.options.maxBatchSize);
    } catch (e) {
      return this.refuse(conn, e, raw);
    }
    switch (m.t) {
      case MessageType.Ping:
        if (this.allow(conn)) this.write(conn, { t: MessageType.Pong });
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
            this.refuse(conn, e, member);
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
    if (m.t !== MessageType.StreamCancel || this.take(conn, m.rid) || (!conn.checkQueue && !conn.claims)) return;
    // Validation is under way (the request may be the one being checked, not yet in the queue). Bounded like the
    // queue; an honest client only cancels rids it sent, so an entry never meets a later request by mistake.
    const cancelled = (conn.cancelled ??= new Set());
    if (cancelled.size < this.options.maxPendingRequests) cancelled.add(m.rid);
  }

  /** Starts a streamed reply to request `rid` (see {@link ServerStream}). */
  private openStream(conn: ServerConn, rid: number, window: number, source: unknown): ServerStream {
    const link: StreamLink = {
      write: (m) => {
        this.beforeWrite(conn);
        conn.write(this.options.packer.pack(m));
      },
      done: (s) => {
        if (conn.streams?.get(s.rid) === s) conn.streams.delete(s.rid);
      },
      report: (code, message, error) => this.report({ code, message, clientId: conn.clientId, uid: conn.uid, error }),
    };
    const stream = new ServerStream(rid, Math.min(window, this.options.maxStreamWindow), link);
    (conn.streams ??= new Map()).set(rid, stream);
    stream.start(source);
    return stream;
  }

  /** Validates a message's data (`schemas`) in arrival order, then dispatches it or refuses it. */
  private admit(conn: ServerConn, m: ClientBatchable): void {
    if (m.t === MessageType.StreamCancel || m.t === MessageType.Credit) return this.streamMessage(conn, m);
    if (m.t === MessageType.TopicJoin) return this.topics.join(conn, m);
    if (m.t === MessageType.TopicLeave) return this.topics.leave(conn, m);
    if (!this.gate) return this.toHandler(conn, m, m.ev[1]);
    if (conn.checkQueue && conn.checkQueue.length >= this.options.maxPendingRequests) {
      return this.refuse(conn, new ProtocolError(ErrorCode.TooManyPending, `too many messages waiting for validation (maxPendingRequests: ${this.options.maxPendingRequests})`), m);
    }
    checkInOrder(conn, m, this.gate.check, this.checked);
  }

  private readonly checked = (conn: ServerConn, m: ClientSendMessage, r: { ok: true; value: unknown } | DataRefusal): void => {
    if (!conn.open) return;
    if (r.ok) this.toHandler(conn, m, r.value);
    else this.refuseData(conn, m, r);
  };

  private refuseData(conn: ServerConn, m: ClientSendMessage, r: DataRefusal): void {
    const rid = m.t === MessageType.Request ? m.rid : undefined;
    const mid = m.mid;
    this.report({ code: r.code, message: r.message, clientId: conn.clientId, uid: conn.uid, issues: r.issues, ...(r.error !== undefined ? { error: r.error } : {}) });
    const x: ErrorMessage = {
      t: MessageType.Error,
      code: r.code,
      msg: r.message,
      ...(rid !== undefined ? { rid } : {}),
      ...(mid !== undefined ? { mid } : {}),
      ...(r.issues.length ? { issues: r.issues } : {}),
    };
    this.write(conn, x);
  }

  /** Hands a checked message on to the handlers: through the dedupe gate when it is on. */
  private toHandler(conn: ServerConn, m: ClientSendMessage, data: unknown): void {
    if (this.dedupe) this.dedupe.admit(conn, m, data);
    else this.dispatch(conn, m, data);
  }

  /**
   * Registers request `m` as waiting for its reply (with its deadline), or refuses it (a reply id in use, too
   * many pending; a claimed one records the refusal as its answer). `mid`: the claimed message id its answer is
   * recorded under.
   */
  private register(conn: ServerConn, m: RequestMessage, mid?: number): PendingRequest | undefined {
    const rid = m.rid;
    const pending = (conn.pending ??= new Map());
    const busy = pending.has(rid) || conn.streams?.has(rid);
    if (busy || pending.size + (conn.streams?.size ?? 0) >= this.options.maxPendingRequests) {
      const e = busy
        ? new ProtocolError(ErrorCode.DuplicateReplyId, `reply id ${rid} is already waiting for a reply`)
        : new ProtocolError(ErrorCode.TooManyPending, `too many requests waiting for replies (maxPendingRequests: ${this.options.maxPendingRequests})`);
      this.refuse(conn, e, m);
      if (mid !== undefined) this.dedupe!.answered(conn, mid, { t: MessageType.Error, rid, mid, code: e.code, msg: e.message });
      return undefined;
    }
    const entry: PendingRequest = { at: this.options.scheduler.now() + this.options.requestTimeoutMs, id: m.ev[0], mid, settled: false };
    pending.set(rid, entry);
    // requestTimeoutMs: Infinity arms no timer (a request then waits until it is answered or its connection closes).
    if (this.options.requestTimeoutMs !== Infinity) conn.deadline ??= this.options.scheduler.schedule(() => this.expire(conn), this.options.requestTimeoutMs);
    return entry;
  }

  /** Writes a request's answer if it still waits, and records it when the request was claimed. */
  private answer(conn: ServerConn, rid: number, entry: PendingRequest, x: StoredReply, frame?: Frame): void {
    const live = this.take(conn, rid);
    // A claimed request's answer is recorded as the frame it is sent as (one object to keep, see StoredReply).
    if (entry.mid !== undefined && !entry.settled) this.settle(conn, entry, (frame ??= this.options.packer.pack(x)));
    if (!live) return;
    this.beforeWrite(conn);
    conn.write(frame ?? this.options.packer.pack(x));
  }

  /** Records the answer of a claimed request (once), so a repeated copy gets it. */
  private settle(conn: ServerConn, entry: PendingRequest, answer: StoredReply): void {
    if (entry.mid === undefined || entry.settled) return;
    entry.settled = true;
    this.dedupe!.answered(conn, entry.mid, answer);
  }

  private dispatch(conn: ServerConn, m: ClientSendMessage, data: unknown): void {
    const id = m.ev[0];
    let reply: ReplyFn<unknown> | undefined;
    if (m.t === MessageType.Request) {
      const rid = m.rid;
      if (conn.cancelled?.delete(rid)) return; // cancelled while it waited for validation
      const mid = this.dedupe && DedupeGate.applies(m) ? m.mid : undefined;
      // A claimed request whose connection closed while its claim was awaited is handled all the same: its
      // answer is recorded for the copy the client sends on its next connection.
      const entry = conn.open ? this.register(conn, m, mid) : { at: 0, id, mid, settled: false };
      if (!entry) return;
      const fn = ((value: unknown) => {
        if (entry.settled || !(conn.pending?.get(rid) === entry || entry.mid !== undefined)) return;
        const r: StoredReply = { t: MessageType.Reply, rid, d: value };
        let frame: Frame;
        try {
          frame = this.options.packer.pack(r);
        } catch (error) {
          // An unpackable reply (a BigInt, a cycle, too deep) must not throw into the handler and leave the
          // client waiting: it answers with an error instead.
          this.report({ code: ErrorCode.HandlerError, message: `reply to "${id}" could not be packed`, clientId: conn.clientId, uid: conn.uid, error });
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
          this.report({ code: ErrorCode.NotAStream, message: `a handler streamed its answer to "${id}", sent with send(): use stream$ on the client`, clientId: conn.clientId, uid: conn.uid });
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
    this.deliver(msg);
    if (m.t === MessageType.Event && m.mid !== undefined) this.ack(conn, m.mid);
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
    const now = this.options.scheduler.now();
    for (const [rid, p] of pending) {
      if (p.at > now) {
        conn.deadline = this.options.scheduler.schedule(() => this.expire(conn), p.at - now);
        return;
      }
      pending.delete(rid);
      const x: ErrorMessage = { t: MessageType.Error, rid, code: ErrorCode.NoReply, msg: `no reply to "${p.id}" within ${this.options.requestTimeoutMs} ms` };
      this.settle(conn, p, x);
      this.write(conn, x);
    }
  }

  /** Removes a pending request; true when it was still waiting (so exactly one answer goes out). */
  private take(conn: ServerConn, rid: number): boolean {
    if (!conn.open || !conn.pending?.delete(rid)) return false;
    // Nothing left to time out: no timer lingers (and virtual time has nothing to run).
    if (conn.pending.size === 0 && conn.deadline) {
      conn.deadline.unsubscribe();
      conn.deadline = undefined;
    }
    return true;
  }

  /** @internal Through a connection's {@link CoreHandle}. */
  swapLink(conn: ServerConn, link: ServerConnection): boolean {
    if (!conn.open || this.closing) return false;
    // Pushes still in a batch window were queued for the old transport: send them down the old link first, so
    // they end its stream in order instead of being lost (or sent twice) across the switch.
    this.pushes.flushAll();
    const from = conn.transport;
    conn.link = link;
    if (link.transport === 'ws') this.keepAlive?.add(conn);
    if (from !== link.transport) this.adapter.switched(conn, from);
    return true;
  }

  /** @internal Through a connection's {@link CoreHandle}. */
  closed(conn: ServerConn): void {
    if (!conn.open) return;
    conn.open = false;
    conn.release();
    this.keepAlive?.remove(conn);
    conn.deadline?.unsubscribe();
    conn.deadline = conn.pending = undefined;
    // The client sees its streams cut with the link; the sources stop here (their finalisers run).
    const streams = conn.streams;
    conn.streams = undefined;
    if (streams) for (const s of streams.values()) s.cancel();
    this.topics.closed(conn);
    this.adapter.remove(conn);
    // The record may wait out the presence grace as the context of its uidport-close, which needs only its uid,
    // client id, transport and request: let go of the link (a WebSocket's socket and half-received frame were
    // kept 2.5 s: +18 MiB for 20 clients that left mid-frame).
    conn.link = CLOSED_LINKS[conn.transport];
  }

  /**
   * The adapter says a uid arrived in the cluster or left it: `chsk/uidport-open` / `-close` with the context of
   * the connection that caused it (on another node that died: an empty client id and request).
   */
  private uidPort(key: string, open: boolean, conn: ServerConn | undefined): void {
    if (this.closing) return;
    const id = open ? 'chsk/uidport-open' : 'chsk/uidport-close';
    const msg: UidPortMsg = {
      event: [id, key],
      id,
      data: key,
      uid: conn ? conn.uid : key === NIL_UID ? null : key,
      clientId: conn?.clientId ?? '',
      transport: conn?.transport ?? 'ws',
      req: conn?.req ?? NO_REQUEST,
    };
    if (!this.events.closed && !this.events.isStopped) this.deliver(msg);
  }
}

/** Frames a connection may send while its uid's arrival is decided before they are handled without waiting. */
const MAX_INBOX = 1024;

/** The `req` of a uidport event whose connection was on a node that died. */
const NO_REQUEST = { headers: {} } as ChskRequest;

/** What a closed connection's record holds instead of its link: the transport it had, and nothing to write to. */
const CLOSED_LINKS: Readonly<Record<TransportType, ServerConnection>> = {
  ws: { transport: 'ws', send: () => undefined, close: () => undefined },
  ajax: { transport: 'ajax', send: () => undefined, close: () => undefined },
};

/** Refusals that count towards `maxProtocolErrors`: broken input, as opposed to limits an honest client can hit. */
const PROTOCOL_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.BadFrame,
  ErrorCode.BadMessage,
  ErrorCode.ReservedId,
  ErrorCode.DuplicateReplyId,
  ErrorCode.TooLarge,
]);

/** The `rid` or `mid` of a message as received, when it is a valid id (a refusal quotes it). */
function idOf(raw: unknown, field: 'rid' | 'mid'): number | undefined {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const id = (raw as Record<string, unknown>)[field];
    if (isReplyId(id)) return id;
  }
  return undefined;
}

/**
 * The handle a binding gets for one connection. A class rather than three closures: thousands of connections
 * share its methods (about 200 B less per connection).
 */
class CoreHandle implements ConnectionHandle {
  opened: Promise<void> | undefined = undefined;
  constructor(
    private readonly core: ServerCore,
    private readonly conn: ServerConn,
  ) {}
  receive(frame: Frame): void {
    this.core.receive(this.conn, frame);
  }
  idle(): Promise<void> | undefined {
    return this.core.idle(this.conn);
  }
  closed(): void {
    this.core.closed(this.conn);
  }
  swapLink(link: ServerConnection): boolean {
    return this.core.swapLink(this.conn, link);
  }
}

/** The handshake with the dedupe epoch read for it (nothing of dedupe when it could not be read). */
function withDedupe(hs: HandshakeMessage, epoch: string | undefined): HandshakeMessage {
  return epoch === undefined ? hs : { ...hs, dd: epoch };
}
