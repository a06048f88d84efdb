import { Subject } from 'rxjs';
import { KeepAliveSweep } from './KeepAliveSweep';
import { PushBatcher } from './PushBatcher';
import { CloseCode, ErrorCode } from '../protocol/codes';
import { NIL_UID, type ChskRequest, type ServerEventMsg, type TransportType } from '../protocol/events';
import type { Frame } from '../packers/Packer';
import {
  MessageType,
  PROTOCOL_VERSION,
  type EventMessage,
  type HandshakeMessage,
  type ServerMessage,
} from '../protocol/messages';
import type { SubscriberFailure } from './GuardedObservable';
import { MemoryAdapter } from './adapter/MemoryAdapter';
import type { ServerAdapter } from './adapter/ServerAdapter';
import { ServerConn, type WriteGuard } from './ServerConn';
import type { ConnectionHandle, ServerConnection } from './ServerConnection';
import type { ResolvedServerOptions } from './serverOptions';
import type { ServerErrorReport } from './ServerErrorReport';
import { StatsCounters } from './ServerStats';
import { DataGate } from './DataGate';
import { ServerTopics, topicLog } from './ServerTopics';
import { LocalTopics } from './TopicRegistry';
import { finishOpen, parseResume, readResume } from './ReplayOnOpen';
import { DedupeGate } from './DedupeGate';
import { CoreHandle } from './CoreHandle';
import { FrameIntake } from './FrameIntake';
import { RequestReplies } from './RequestReplies';
import { ConnWriter } from './ConnWriter';
import { EventDelivery } from './EventDelivery';
import { coreDedupeHost, dedupeEpochOf, withDedupe } from './coreDedupeHost';

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
  /** Hands messages to `events$` (a subscriber's failure is reported with the message's context). */
  private readonly delivery = new EventDelivery(this.events, (r) => this.report(r));
  /** The `schemas` check, when the server has schemas or is strict. */
  private readonly gate: DataGate | undefined;
  /** Message-id dedupe (the `dedupe` option), when on. */
  private readonly dedupe: DedupeGate | undefined;
  /** Requests and their replies (pending ids, deadlines, streams). */
  private readonly replies: RequestReplies;
  /** The incoming side: frames checked, limited and handed on. */
  private readonly intake: FrameIntake;
  /** Writes straight to a connection (after the pushes and acks that must go first), refusals, kicks. */
  private readonly out: ConnWriter;

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
    this.out = new ConnWriter({ options, pushes: this.pushes, report: (r) => this.report(r), closed: (conn) => this.closed(conn) });
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
        write: (conn, m) => this.out.write(conn, m),
        deliver: (msg, members) => this.pushes.publish(msg, members, false),
        report: (r) => this.report(r),
        log: topicLog(this.adapter, registry, options.resume !== false),
      },
      registry,
    );
    this.gate = options.schemas || options.strict ? new DataGate(options.schemas ?? {}, options.strict) : undefined;
    this.dedupe = options.dedupe ? this.dedupeGate(options.dedupe.windowMs) : undefined;
    const host = {
      options,
      dedupe: this.dedupe,
      report: (r: ServerErrorReport) => this.report(r),
      write: (conn: ServerConn, m: ServerMessage) => this.out.write(conn, m),
      refuse: (conn: ServerConn, e: unknown, from?: unknown) => this.out.refuse(conn, e, from),
    };
    this.replies = new RequestReplies({
      ...host,
      beforeWrite: (conn) => this.out.beforeWrite(conn),
      deliver: (m) => this.delivery.deliver(m),
      ack: (conn, mid) => this.out.ack(conn, mid),
    });
    this.intake = new FrameIntake({
      ...host,
      counters: this.counters,
      topics: this.topics,
      gate: this.gate,
      replies: this.replies,
      kick: (conn, code, reason) => this.out.kick(conn, code, reason),
    });
    const ka = options.keepAlive;
    this.keepAlive = ka
      ? new KeepAliveSweep(
          options.scheduler,
          ka.idleMs,
          ka.timeoutMs,
          (conn) => this.out.write(conn, { t: MessageType.Ping }),
          (conn) => {
            this.report({ code: ErrorCode.KeepAliveTimeout, message: 'client silent past the keep-alive timeout', clientId: conn.clientId, uid: conn.uid });
            conn.link.close(CloseCode.KeepAliveTimeout, 'keep-alive timeout');
            this.closed(conn);
          },
        )
      : undefined;
  }

  /** The dedupe gate, on the adapter's store, with the core's side of its work (`coreDedupeHost`). */
  private dedupeGate(windowMs: number): DedupeGate {
    const host = coreDedupeHost({ options: this.options, windowMs, counters: this.counters, out: this.out, replies: () => this.replies, report: (r) => this.report(r) });
    return new DedupeGate(this.adapter.dedupe, host);
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
      this.out.write(conn, hs);
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

  /** What the handshake says of dedupe (`hs.dd`; see `dedupeEpochOf`). */
  private dedupeEpoch(conn: ServerConn): string | 1 | Promise<string | undefined> {
    return dedupeEpochOf(this.adapter, conn, (r) => this.report(r));
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
    for (const c of [...this.adapter.connectionsOf(key)]) n++, this.out.kick(c, code, reason);
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
    this.delivery.subscriberFailed(error, where);
  }

  /** @internal Through a connection's {@link CoreHandle}. */
  receive(conn: ServerConn, frame: Frame): void {
    if (!conn.open) return;
    if (conn.inbox) {
      if (conn.inbox.length < MAX_INBOX) return void conn.inbox.push(frame);
      this.releaseInbox(conn); // a flood within one round trip: stop holding rather than grow
    }
    this.out.inFrame(conn, () => this.intake.receiveFrame(conn, frame));
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

  /** @internal Through a connection's {@link CoreHandle}: resolves once no message of it awaits the dedupe store. */
  idle(conn: ServerConn): Promise<void> | undefined {
    return this.dedupe?.idle(conn);
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
    if (!this.closing) this.delivery.uidPort(key, open, conn);
  }
}

/** Frames a connection may send while its uid's arrival is decided before they are handled without waiting. */
const MAX_INBOX = 1024;

/** What a closed connection's record holds instead of its link: the transport it had, and nothing to write to. */
const CLOSED_LINKS: Readonly<Record<TransportType, ServerConnection>> = {
  ws: { transport: 'ws', send: () => undefined, close: () => undefined },
  ajax: { transport: 'ajax', send: () => undefined, close: () => undefined },
};
