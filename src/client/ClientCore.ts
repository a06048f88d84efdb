import { Observable, Subject, type Subscription } from 'rxjs';
import { ConfigError } from '../errors/ConfigError';
import { RejectedError } from '../errors/RejectedError';
import { isDeadlineMs, MAX_TIMER_MS } from '../protocol/durationMs';
import { StateSubject } from './StateSubject';
import { wakeSignals } from './wakeSignals';
import { ChannelClosedError } from '../errors/ChannelClosedError';
import { ChannelError } from '../errors/ChannelError';
import { RemoteError } from '../errors/RemoteError';
import { BufferOverflowError } from '../errors/BufferOverflowError';
import { ReplyTimeoutError } from '../errors/ReplyTimeoutError';
import { keepAliveUnchecked } from '../operators/keepAlive';
import { reconnectUnchecked } from '../operators/reconnect';
import type { Frame } from '../packers/Packer';
import { CloseCode, ErrorCode } from '../protocol/codes';
import { MessageType, type ClientMessage, type EventMessage, type HandshakeMessage, type RequestMessage, type ServerBatchable, type WireEvent } from '../protocol/messages';
import { isServerMessage } from '../protocol/isServerMessage';
import type { TransportType } from '../protocol/events';
import type { ResolvedClientOptions } from './clientOptions';
import { initialState, type ClientRecovery, type ClientState, type ClientStatus, type CloseReason } from './ClientState';
import { ResumeState } from './ResumeState';
import type { ClientTransport, TransportLink, TransportSignal } from './ClientTransport';
import { ClientChecks, type ClientCheck } from './ClientChecks';
import { checkInOrder } from '../schemas/OrderedChecks';
import { safeIssues } from '../schemas/DataIssue';
import type { Outgoing } from './Outgoing';
import { requestStream, type StreamHost, type StreamOptions } from './requestStream';
import { MessageIds } from './MessageIds';
import { ClientTopics } from './ClientTopics';
import { Pacer } from './Pacer';
import { emitEvent, type EmitHost } from './emitEvent';
import { Outbox } from './Outbox';
import { DeliveryUncertainError } from '../errors/DeliveryUncertainError';

/** The link ended; carries the reason the state will show. */
class LinkDown extends Error {
  constructor(readonly reason: CloseReason) {
    super(`link closed: ${reason}`);
  }
}

/**
 * Close codes after which the outbox is not sent again (CHSK_UNCERTAIN at once): the server shut down (its
 * in-memory dedupe record goes with it), or closed the link because of what it was sent (a message in flight
 * may be the cause, and sending it again would only close the next link too).
 */
const NO_RESEND: ReadonlyMap<number, string> = new Map([
  [CloseCode.GoingAway, 'the server shut down'],
  [CloseCode.ProtocolError, 'protocol error'],
  [CloseCode.InvalidPayload, 'invalid payload'],
  [CloseCode.PolicyViolation, 'policy violation'],
  [CloseCode.TooLarge, 'a message too large'],
  [CloseCode.RateLimited, 'rate limited'],
  [CloseCode.BadHandshake, 'bad handshake'],
]);

/** Drops a trailing `undefined` so events without data go on the wire as `[id]`. */
function toWire(ev: readonly [string, unknown]): WireEvent {
  return ev.length >= 2 && ev[1] !== undefined ? [ev[0], ev[1]] : [ev[0]];
}

function reasonOf(code: number): CloseReason {
  if (code === CloseCode.Normal || code === CloseCode.GoingAway) return 'clean';
  if (code === CloseCode.BadHandshake) return 'bad-handshake';
  if (code === CloseCode.LoggedOut) return 'logged-out';
  return 'unexpected';
}

/**
 * The transport-independent client: connection loop with reconnect and keep-alive, the offline buffer,
 * requests and their replies. `createChannelSocketClient` wraps it in the public API.
 */
export class ClientCore {
  readonly state$: StateSubject<ClientState>;
  readonly events = new Subject<readonly [string, unknown]>();
  /** What went wrong that no send waits for (see `errors$` in createClient.ts). */
  readonly errors = new Subject<ChannelError>();
  /** Each reopen after the first: what it recovered (`reopened$`). */
  readonly reopened = new Subject<ClientRecovery>();
  /** Positions in the server's streams: which pushes are new, what to present on reconnect. */
  private readonly positions = new ResumeState();
  /** The topics this client holds (`topic$`): joined on every handshake. */
  readonly topics = new ClientTopics({ ready: () => this.ready, write: (m) => void this.write(m) });
  /** Messages waiting behind an async `schemas` validator, in arrival order. */
  checkQueue: ServerBatchable[] | undefined = undefined;
  private readonly checks: ClientChecks | undefined;
  private link: TransportLink | undefined;
  private ready = false;
  private readonly inflight = new Map<number, Outgoing>();
  /** Emits written on the current link and waiting for their `a`, by `mid`. */
  private readonly unacked = new Map<number, Outgoing>();
  /** Paces writes to the handshake's rate limit (`hs.rl`). */
  private readonly pacer: Pacer;
  /** The wake-up of {@link pump} when the pacer ran out of tokens. */
  private paceTimer: Subscription | undefined;
  /** Sends not yet written, in order (offline, or behind older ones). Insertion-ordered. */
  private readonly waiting = new Set<Outgoing>();
  /** Written sends not yet answered, to write again after a reconnect to a server that dedupes (`hs.dd`). */
  private readonly outbox: Outbox;
  /** `hs.dd` of the link the outbox's sends were written to (and the epoch they may be written again under). */
  private writtenDd: string | 1 | undefined;
  /** Outbox sends to write again on this link, before {@link waiting} (in `mid` order). */
  private readonly resending = new Set<Outgoing>();
  private pumping = false;
  /** Nesting depth of {@link batch}: state changes are gathered into `draft` and emitted once at depth 0. */
  private depth = 0;
  private draft: ClientState | undefined;
  /** Callbacks (send failures) held until the state change that explains them is out. */
  private readonly afterCommit: Array<() => void> = [];
  private badBackoffReported = false;
  /** Set while a link the server closed ends: its close code (some say "do not send that again"). */
  private closeCode: number | undefined;
  /** Set while a link refused by the server ends: what its in-flight requests fail with. */
  private rejection: RejectedError | undefined;
  /** `online` / page-visible events, while the loop runs. */
  private wake: Subscription | undefined;
  private nextRid = 1;
  /** The `mid` of every `e` and `q` this client writes (PROTOCOL.md, "Message ids"). */
  private readonly mids: MessageIds;
  private loop: Subscription | undefined;
  private stopped = true;
  /** Reason to record when the current link is torn down by us. */
  private pendingReason: CloseReason = 'unexpected';
  /** The transport the current link runs on (a link may change it with a `transport` signal). */
  private linkType: TransportType;

  constructor(
    private readonly o: ResolvedClientOptions,
    private readonly transport: ClientTransport,
  ) {
    this.state$ = new StateSubject(initialState(transport.type, o.clientId));
    this.linkType = transport.type;
    this.mids = new MessageIds(MessageIds.firstFor(o.clientIdChosen, o.scheduler.now()));
    this.pacer = new Pacer(() => this.now());
    this.outbox = new Outbox(o.maxUnacked);
    this.checks =
      (o.schemas || o.strict) && o.validate ? new ClientChecks(o.schemas ?? {}, (rid) => this.inflight.get(rid)?.msg.ev[0], o.strict) : undefined;
  }

  private now(): number {
    return this.o.scheduler.now();
  }

  /** The state as it stands, changes not yet emitted included. */
  private current(): ClientState {
    return this.draft ?? this.state$.value;
  }

  private patch(p: Partial<ClientState>): void {
    this.draft = { ...this.current(), ...p };
    if (this.depth === 0) this.commit();
  }

  /** Runs `fn` as one state change: whatever it patches is emitted once, at the end (issue 10 #8). */
  private batch(fn: () => void): void {
    this.depth++;
    try {
      fn();
    } finally {
      if (--this.depth === 0) this.commit();
    }
  }

  private status(s: ClientState): ClientStatus {
    if (s.open) return 'open';
    if (this.stopped) return 'closed';
    return s.everOpened ? 'reconnecting' : 'connecting';
  }

  private commit(): void {
    const d = this.draft;
    this.draft = undefined;
    if (d) {
      const next: ClientState = { ...d, status: this.status(d) };
      const prev = this.state$.value;
      const changed = (Object.keys(next) as Array<keyof ClientState>).some((k) => next[k] !== prev[k]);
      if (changed) this.state$.set(next);
    }
    for (const fn of this.afterCommit.splice(0)) fn();
  }

  /**
   * The user's `backoff`, made safe: a result that is not a number of ms >= 0 (NaN, negative, Infinity, a
   * throw) falls back to the default backoff for that attempt, reported once on `errors$` as a `ConfigError`;
   * a delay above 2^31-1 ms is clamped (a longer timer would fire at once).
   */
  private delayOf(attempt: number): number {
    let d: unknown;
    try {
      d = this.o.backoff(attempt);
    } catch (e) {
      d = e;
    }
    if (typeof d === 'number' && d >= 0 && d < Infinity) return Math.min(d, MAX_TIMER_MS);
    if (!this.badBackoffReported) {
      this.badBackoffReported = true;
      const what = d instanceof Error ? `threw ${d.message}` : `returned ${String(d)}`;
      this.errors.next(new ConfigError(`option 'backoff': backoff(${attempt}) ${what}; expected a number of ms >= 0, using the default backoff`));
    }
    return this.o.defaultBackoff(attempt);
  }

  /** Starts the connection loop (no-op when it runs). */
  start(): void {
    if (this.loop && !this.loop.closed) return;
    this.batch(() => this.startLoop());
  }

  private startLoop(): void {
    this.stopped = false;
    this.patch({});
    // Back online or visible again: do not wait out the backoff (issue 10 #12). Only while a wait is under way.
    this.wake ??= wakeSignals().subscribe(() => {
      if (!this.stopped && this.current().nextReconnectAt !== null) this.restart();
    });
    this.loop = this.session()
      .pipe(
        reconnectUnchecked<'hs'>({
          backoff: (n) => this.delayOf(n),
          maxAttempts: this.o.maxReconnectAttempts,
          scheduler: this.o.scheduler,
          onRetry: ({ attempt, delayMs }) => this.patch({ reconnectAttempt: attempt, nextReconnectAt: this.now() + delayMs }),
        }),
      )
      .subscribe({
        error: () =>
          this.batch(() => {
            // Out of attempts: stay closed, and fail whatever waits.
            this.stopped = true;
            this.patch({ nextReconnectAt: null });
            this.failWaiting(new ChannelClosedError('gave up reconnecting (maxReconnectAttempts)'));
            this.failOutbox('gave up reconnecting (maxReconnectAttempts)');
            this.later(() => this.topics.stopped(new ChannelClosedError('gave up reconnecting (maxReconnectAttempts)')));
          }),
      });
  }

  /** Closes the link and stops reconnecting; everything waiting fails with `ChannelClosedError`. */
  stop(reason: CloseReason): void {
    this.batch(() => {
      const wasStopped = this.stopped && !this.loop;
      this.stopped = true;
      this.wake?.unsubscribe();
      this.wake = undefined;
      this.pendingReason = reason;
      this.loop?.unsubscribe();
      this.loop = undefined;
      this.pendingReason = 'unexpected';
      // Stopped while waiting out a backoff (no link to tear down): record the reason all the same.
      const last = this.current().lastClose;
      const lastClose = wasStopped || last?.reason === reason ? last : { at: this.now(), reason };
      this.patch({ open: false, reconnectAttempt: 0, nextReconnectAt: null, lastClose });
      this.failWaiting(new ChannelClosedError(`closed (${reason})`));
      this.failOutbox(`closed (${reason})`);
      this.later(() => this.topics.stopped(new ChannelClosedError(`closed (${reason})`)));
    });
  }

  /** Drops the current link and connects again at once (`reason`: what `lastClose` will say). */
  restart(reason: CloseReason = 'requested-reconnect'): void {
    this.batch(() => {
      this.pendingReason = reason;
      this.loop?.unsubscribe();
      this.loop = undefined;
      this.pendingReason = 'unexpected';
      this.patch({ reconnectAttempt: 0, nextReconnectAt: null });
      this.startLoop();
    });
  }

  /** One link from connect to close, as an Observable that emits `'hs'` on handshake and errors when it ends. */
  private session(): Observable<'hs'> {
    return new Observable<'hs'>((out) => {
      this.patch({ nextReconnectAt: null });
      this.linkType = this.transport.type;
      const activity = new Subject<void>();
      let keepAliveSub: Subscription | undefined;
      let ended = false;
      const end = (reason: CloseReason): void => {
        if (ended) return;
        ended = true;
        this.linkDown(reason);
      };
      const onSignal = (sig: TransportSignal): void => {
        switch (sig.kind) {
          case 'open':
            this.link = sig.link;
            if (this.o.keepAlive) {
              keepAliveSub = activity.pipe(keepAliveUnchecked(this.o.keepAlive.idleMs, this.o.keepAlive.timeoutMs, this.o.scheduler)).subscribe({
                // A ping never waits for the pacer (it would delay the liveness check); it takes a token all the same.
                next: () => (this.pacer.force(), this.write({ t: MessageType.Ping })),
                error: () =>
                  this.batch(() => {
                    end('keepalive-timeout');
                    out.error(new LinkDown('keepalive-timeout'));
                  }),
              });
            }
            return;
          case 'message':
            activity.next();
            if (this.onFrame(sig.data)) out.next('hs');
            return;
          case 'transport':
            this.linkType = sig.type;
            this.patch({ type: sig.type, ...(sig.reason ? { lastClose: { at: this.now(), reason: sig.reason } } : {}) });
            return;
          case 'error':
            if (this.linkType === 'ws') this.patch({ lastWsError: { at: this.now(), message: sig.message } });
            return;
          case 'close':
            // One state change: the WebSocket close, the link's end and the next attempt (out.error runs the
            // reconnect operator's onRetry synchronously).
            return this.batch(() => {
              if (this.linkType === 'ws') {
                this.patch({ lastWsClose: { at: this.now(), code: sig.code, reason: sig.reason, clean: sig.clean } });
              }
              const reason = sig.rejected ? 'rejected' : reasonOf(sig.code);
              if (sig.rejected) {
                const err = new RejectedError(`the server refused the connection: ${sig.reason}`);
                this.later(() => this.errors.next(err));
                this.rejection = err;
              }
              this.closeCode = sig.code;
              end(reason);
              this.closeCode = undefined;
              this.rejection = undefined;
              // Logged out everywhere: retrying with the same session is pointless; stay closed until reconnect().
              if (reason === 'logged-out') return this.stop(reason);
              out.error(new LinkDown(reason));
            });
        }
      };
      const sub = this.transport
        .connect({
          url: this.o.url,
          clientId: this.o.clientId,
          params: this.o.params,
          csrfToken: this.o.csrfToken(),
          binary: this.o.packer.binary,
          resume: this.positions.query(),
        })
        .subscribe({ next: onSignal, error: (e: unknown) => this.batch(() => (end('unexpected'), out.error(e))) });
      return () => {
        keepAliveSub?.unsubscribe();
        end(this.pendingReason);
        sub.unsubscribe();
      };
    });
  }

  private linkDown(reason: CloseReason): void {
    this.topics.down();
    this.link = undefined;
    this.ready = false;
    this.paceTimer?.unsubscribe();
    this.paceTimer = undefined;
    this.patch({ open: false, firstOpen: false, lastClose: { at: this.now(), reason } });
    const inflight = [...this.inflight.values()];
    this.inflight.clear();
    const unacked = [...this.unacked.values()];
    this.unacked.clear();
    // Written and unanswered: what the outbox keeps waits for the next link (sent again if its server dedupes);
    // what it no longer keeps (maxUnacked later writes) cannot be sent again safely. Streams are cut. A refusal,
    // or a close that says the server will not take it again (NO_RESEND), gives up on the outbox at once.
    this.resending.clear();
    const code = this.closeCode;
    if (this.rejection) this.failOutbox('', this.rejection);
    else if (code !== undefined && NO_RESEND.has(code)) this.failOutbox(`the server closed the link with ${code} (${NO_RESEND.get(code)})`);
    const err = this.rejection ?? new ChannelClosedError(`link closed with the request in flight (${reason})`);
    const cut = reason !== 'requested-disconnect';
    this.later(() => {
      for (const o of inflight) {
        if (o.cut) o.fail(cut ? o.cut(reason) : err);
        else if (!this.outbox.has(o)) o.fail(this.uncertain(`the link closed (${reason}) and ${this.o.maxUnacked} later sends were written after it (maxUnacked)`));
      }
      for (const o of unacked) {
        if (!this.outbox.has(o)) o.fail(this.uncertain(`the link closed (${reason}) and ${this.o.maxUnacked} later sends were written after it (maxUnacked)`));
      }
    });
  }

  /**
   * Why the outbox cannot be written again on the link this handshake opens, or undefined when it can: the server
   * must dedupe for this client id and uid (its record is per uid) under the epoch the outbox was written under
   * (`hs.dd` of the last link: every kept send was written under it, since a handshake that refuses empties the
   * outbox). A new epoch is a new record (an in-memory server restarted, a flushed Redis): sending again could
   * run a message twice. An older server says `dd: 1`, naming no epoch: then only the broadcasts' log epoch in
   * `hs.rs`, known before and unchanged, proves the same server state; without it the reconnect is uncertain.
   */
  private noResend(m: HandshakeMessage, s: ClientState): string | undefined {
    if (m.dd === undefined) return 'the server does not dedupe message ids (no hs.dd), so it cannot be sent again safely';
    if (m.cid !== this.o.clientId) return 'the server registered another client id';
    if (s.everOpened && s.uid !== m.uid) return "the connection now belongs to another user (the server's dedupe is per user)";
    if (typeof m.dd === 'string') {
      return m.dd === this.writtenDd ? undefined : "the server's dedupe record is not the one it was written to (hs.dd epoch changed: a restarted server or a new record)";
    }
    if (this.writtenDd !== 1) return "the server's dedupe record is not the one it was written to (hs.dd changed)";
    const before = this.positions.epoch('b');
    const rs = m.rs as { b?: unknown } | undefined;
    const now = Array.isArray(rs?.b) && typeof rs.b[1] === 'string' ? rs.b[1] : undefined;
    if (before === undefined || now === undefined) return 'the server names no dedupe epoch (hs.dd: 1) and no log epoch proves it is the same server state: its dedupe record may be gone';
    if (before !== now) return 'the server restarted or is another process (its epoch changed): its dedupe record is gone';
    return undefined;
  }

  private uncertain(why: string): DeliveryUncertainError {
    return new DeliveryUncertainError(`written but not answered: ${why}; the server may or may not have handled it`);
  }

  /** Fails every written, unanswered send with `CHSK_UNCERTAIN` (the client gives up on them), or `error`. */
  private failOutbox(why: string, error?: Error): void {
    const all = this.outbox.takeAll();
    this.resending.clear();
    if (all.length === 0) return;
    const err = error ?? this.uncertain(why);
    this.later(() => {
      for (const o of all) o.fail(err);
    });
  }

  /** Runs `fn` once the state change under way is emitted (at once outside a {@link batch}). */
  private later(fn: () => void): void {
    if (this.depth === 0) return fn();
    this.afterCommit.push(fn);
  }

  /** Handles one incoming frame; returns true when it was the handshake. */
  private onFrame(data: Frame): boolean {
    let m: unknown;
    try {
      m = this.o.packer.unpack(data);
    } catch {
      return false; // a frame we cannot read is dropped; the server speaks the protocol or is not ours
    }
    if (!isServerMessage(m)) return false; // likewise
    switch (m.t) {
      case MessageType.Handshake: {
        if (this.ready) return false;
        const s = this.current();
        this.ready = true;
        this.pacer.reset(m.rl);
        // Written and unanswered on the last link: sent again, same mid, before the buffer, if this server
        // dedupes for this client id; else they can no longer be sent safely.
        if (this.outbox.size > 0) {
          const refused = this.noResend(m, s);
          if (refused) this.failOutbox(refused);
          else for (const o of this.outbox.inOrder()) this.resending.add(o);
        }
        this.writtenDd = m.dd;
        const recovery = this.positions.handshake(m.rs, m.rc);
        // What waited goes out before anyone hears of the open: a send made by a state$ subscriber reacting
        // to it must not overtake the buffer (issue 10 #2).
        this.pump();
        this.topics.opened();
        this.patch({
          type: this.linkType,
          open: true,
          everOpened: true,
          firstOpen: !s.everOpened,
          uid: m.uid,
          handshakeData: m.hd,
          reconnectAttempt: 0,
          nextReconnectAt: null,
          ...(s.everOpened ? { recovery } : {}),
        });
        if (s.everOpened) this.later(() => this.reopened.next(recovery));
        return true;
      }
      case MessageType.Ping:
        this.write({ t: MessageType.Pong });
        return false;
      case MessageType.Pong:
        return false;
      case MessageType.Batch:
        for (const member of m.ms) this.receive(member);
        return false;
      default:
        this.receive(m);
        return false;
    }
  }

  /**
   * Reconnects at once (on the scheduler, outside the frame being read) so the server replays what this link
   * lost; `lastClose.reason` says `'resync'`. Nothing from this link is delivered meanwhile.
   */
  private resync(): void {
    const link = this.link;
    this.o.scheduler.schedule(() => {
      if (!this.stopped && this.link === link) this.restart('resync');
    });
  }

  /** Checks a message against `schemas` (in arrival order, also with async validators), then delivers it. */
  private receive(m: ServerBatchable): void {
    // A push at or below its stream's position was delivered already (the replay overlapped it); one past a gap
    // means pushes were lost on this link: reconnect, and the server replays them (ResumeState.accept).
    if (m.t === MessageType.Event) {
      const verdict = this.positions.accept(m);
      if (verdict === 'gap') this.resync();
      if (verdict !== 'deliver') return;
    }
    if (!this.checks) {
      const value = m.t === MessageType.Event || m.t === MessageType.TopicEvent ? m.ev[1] : m.t === MessageType.Reply || m.t === MessageType.StreamItem ? m.d : undefined;
      return this.onMessage(m, value);
    }
    checkInOrder(this, m, this.checks.check, this.checked);
  }

  private readonly checked = (_: ClientCore, m: ServerBatchable, r: ClientCheck): void => {
    if (r.ok) return this.onMessage(m, r.value);
    if (m.t === MessageType.Reply) {
      const o = this.inflight.get(m.rid);
      if (o) this.inflight.delete(m.rid), o.fail(r.error);
      return;
    }
    // An invalid stream item fails the stream; it stays in flight until then, so the stream cancels itself on the server.
    if (m.t === MessageType.StreamItem) return void this.inflight.get(m.rid)?.fail(r.error);
    this.errors.next(r.error);
  };

  /** Delivers a message; `value` is a push's data or a reply's value (validated when there are schemas). */
  private onMessage(m: ServerBatchable, value: unknown): void {
    switch (m.t) {
      case MessageType.Event:
        this.events.next(value === m.ev[1] && m.ev.length === 2 ? (m.ev as readonly [string, unknown]) : [m.ev[0], value]);
        return;
      case MessageType.Reply: {
        const o = this.inflight.get(m.rid);
        if (o) this.inflight.delete(m.rid), o.reply?.(value);
        return; // a late or unknown reply is ignored
      }
      case MessageType.StreamItem:
        this.inflight.get(m.rid)?.item?.(value);
        return; // items of a stream that was cancelled or ended are ignored
      case MessageType.TopicJoined:
        return this.topics.joined(m.tid, m.rs, m.rc);
      case MessageType.TopicClosed:
        return this.topics.closed(m.tid, m.code, m.msg);
      case MessageType.TopicEvent:
        return this.topics.event(m.tp, m.ev, value, m.seq);
      case MessageType.StreamEnd: {
        const o = this.inflight.get(m.rid);
        if (o) this.inflight.delete(m.rid), o.end?.();
        return;
      }
      case MessageType.Ack: {
        const o = this.unacked.get(m.mid);
        if (o) this.unacked.delete(m.mid), o.ack?.();
        return; // a late ack (the emit timed out or was unsubscribed) is ignored
      }
      case MessageType.Error: {
        const err = new RemoteError(m.code, m.msg, safeIssues(m.issues));
        const byRid = m.rid === undefined ? undefined : this.inflight.get(m.rid);
        if (byRid) return void (this.inflight.delete(m.rid!), byRid.fail(err));
        const byMid = m.mid === undefined ? undefined : this.unacked.get(m.mid);
        if (byMid) return void (this.unacked.delete(m.mid!), byMid.fail(err));
        // A refusal no send waits for (a ping refused, a late answer to a send that timed out): the app hears of it.
        this.errors.next(err);
        return;
      }
    }
  }

  private write(m: ClientMessage): boolean {
    if (!this.link) return false;
    this.link.send(this.o.packer.pack(m));
    return true;
  }

  private transmit(o: Outgoing): void {
    let frame: Frame;
    try {
      frame = this.o.packer.pack(o.msg);
    } catch (e) {
      return o.fail(new ChannelError(ErrorCode.BadMessage, `could not pack the event: ${String((e as Error)?.message ?? e)}`));
    }
    if (o.msg.t === MessageType.Request) this.inflight.set(o.msg.rid, o);
    else if (o.msg.mid !== undefined) this.unacked.set(o.msg.mid, o);
    this.outbox.wrote(o);
    this.link!.send(frame);
  }

  private submit(o: Outgoing): void {
    if (this.stopped) return o.fail(new ChannelClosedError('closed; call reconnect() first'));
    if (this.ready && this.waiting.size === 0 && this.resending.size === 0 && this.pacer.take()) return this.transmit(o);
    if (this.waiting.size >= this.o.maxBufferedSends) return o.fail(new BufferOverflowError(this.o.maxBufferedSends));
    this.waiting.add(o);
    if (this.ready) this.wakeLater();
  }

  /** Runs {@link pump} once the pacer has a token again (one wake-up at a time, on the scheduler). */
  private wakeLater(): void {
    if (this.paceTimer && !this.paceTimer.closed) return;
    this.paceTimer = this.o.scheduler.schedule(() => {
      this.paceTimer = undefined;
      this.pump();
    }, this.pacer.waitMs());
  }

  /**
   * Writes what waits, oldest first, while a link is ready. A callback run by a write (an emit completing)
   * may end the link or disconnect: the loop then stops, and what is left stays waiting, to go out on the
   * next link or fail with the disconnect (issue 10 #17), never orphaned.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (const queue of [this.resending, this.waiting]) {
        for (const o of queue) {
          if (!this.ready) return;
          if (!this.pacer.take()) return this.wakeLater();
          queue.delete(o);
          this.transmit(o);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private failWaiting(err: Error): void {
    const all = [...this.waiting];
    this.waiting.clear();
    this.later(() => {
      for (const o of all) o.fail(err);
    });
  }

  /**
   * Forgets a send wherever it is (buffer, resend queue, in flight, outbox): it was answered, timed out or
   * unsubscribed. True when it was in flight on the current link (the server knows of it).
   */
  private drop(o: Outgoing): boolean {
    this.waiting.delete(o);
    this.resending.delete(o);
    this.outbox.forget(o);
    const m = o.msg;
    if (m.t === MessageType.Request) {
      if (this.inflight.get(m.rid) !== o) return false;
      this.inflight.delete(m.rid);
      return true;
    }
    if (m.mid === undefined || this.unacked.get(m.mid) !== o) return false;
    this.unacked.delete(m.mid);
    return true;
  }

  /** A request: sends on subscribe, emits the reply, errors on timeout or close. */
  request(ev: readonly [string, unknown], timeoutMs: number): Observable<unknown> {
    return new Observable<unknown>((sub) => {
      if (!isDeadlineMs(timeoutMs)) {
        return sub.error(new ConfigError(`send: 'timeoutMs' must be a number of ms in (0, 2^31-1], or Infinity for no deadline; got ${String(timeoutMs)}`));
      }
      const rid = this.nextRid++;
      const cleanup = (): void => {
        timeout?.unsubscribe();
        this.drop(o);
      };
      const o: Outgoing = {
        msg: { t: MessageType.Request, ev: toWire(ev), rid, mid: this.mids.next() },
        reply: (v) => (cleanup(), sub.next(v), sub.complete()),
        fail: (e) => (cleanup(), sub.error(e)),
      };
      const timeout: Subscription | undefined =
        timeoutMs === Infinity ? undefined : this.o.scheduler.schedule(() => o.fail(new ReplyTimeoutError(ev[0], timeoutMs)), timeoutMs);
      this.submit(o);
      return cleanup;
    });
  }

  /** What {@link requestStream} needs from the core. */
  private streamHost(): StreamHost {
    return (this.host ??= {
      scheduler: this.o.scheduler,
      timeoutMs: this.o.timeoutMs,
      nextRid: () => this.nextRid++,
      nextMid: () => this.mids.next(),
      submit: (o) => this.submit(o),
      forget: (o) => this.drop(o),
      write: (m) => void this.write(m),
    });
  }
  private host: StreamHost | undefined;

  /** A streamed request (see {@link requestStream}). */
  stream(ev: readonly [string, unknown], options?: StreamOptions): Observable<unknown> {
    return requestStream(this.streamHost(), ev[0], toWire(ev), options);
  }

  /** An event: completes when the server acknowledges it (see {@link emitEvent}). */
  emit(ev: readonly [string, unknown], timeoutMs: number): Observable<void> {
    this.emitHost ??= {
      scheduler: this.o.scheduler,
      nextMid: () => this.mids.next(),
      submit: (o) => this.submit(o),
      forget: (o) => void this.drop(o),
    };
    return emitEvent(this.emitHost, ev[0], toWire(ev), timeoutMs);
  }
  private emitHost: EmitHost | undefined;
}
