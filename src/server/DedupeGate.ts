import type { SchedulerLike, Subscription } from 'rxjs';
import { ErrorCode } from '../protocol/codes';
import { MessageType, type ClientSendMessage, type RequestMessage } from '../protocol/messages';
import type { DedupeStore, DedupeVerdict, StoredReply } from './adapter/Dedupe';
import type { Claim } from './ClaimQueue';
import type { ServerConn } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';

/** What the gate needs from the server core. */
export interface DedupeHost {
  readonly scheduler: SchedulerLike;
  /** The dedupe window (ms): the gate forgets its own bookkeeping after it too. */
  readonly windowMs: number;
  /** How long a repeated message waits for the answer of its first copy (the server's `requestTimeoutMs`). */
  readonly waitMs: number;
  /** Handles a message seen for the first time (a request's answer comes back through {@link DedupeGate.answered}). */
  handle(conn: ServerConn, m: ClientSendMessage, data: unknown): void;
  /**
   * Answers a repeated message from the answer its first copy got: a request's reply or error re-addressed to
   * its own `rid` (taking `held`, its pending entry, when it waited), an event's `a`.
   */
  answer(conn: ServerConn, m: ClientSendMessage, stored: StoredReply | undefined, held?: object): void;
  /**
   * Registers a repeated request whose first copy is still being handled, as a pending request of `conn` (with
   * its deadline); returns its entry, or undefined when it was refused (a reply id in use, too many pending).
   */
  hold(conn: ServerConn, m: RequestMessage): object | undefined;
  /** True while `held` is still `conn`'s pending entry for `rid` (not expired, not answered, connection open). */
  holds(conn: ServerConn, rid: number, held: object): boolean;
  /** Lets go of `held` without answering (the request is about to be handled after all). */
  unhold(conn: ServerConn, rid: number, held: object): void;
  /** Runs `fn` as if one incoming frame were being handled (the acks it produces leave together). */
  inFrame(conn: ServerConn, fn: () => void): void;
  report(r: ServerErrorReport): void;
}

/** A repeated message waiting for its first copy's answer. */
interface Waiter {
  readonly conn: ServerConn;
  readonly m: ClientSendMessage;
  /** Its data as the `schemas` check left it. */
  readonly data: unknown;
  /** A request's pending entry on `conn`. */
  readonly held: object | undefined;
  /** Scheduler time after which an event's waiter gives up (a request's entry has its own deadline). */
  readonly until: number;
  poll: Subscription | undefined;
  pollMs: number;
}

/** How often a waiter asks the store again, for an answer given on another node: 25 ms doubling to 1 s. */
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 1000;
/** How often the store's idle entries are swept (at most; a shorter window sweeps as often as its length). */
const SWEEP_MS = 60_000;

const NEW: DedupeVerdict = { state: 'new' };

/**
 * Message-id dedupe in front of the handlers (PROTOCOL.md, "Message ids"): every `e` and `q` with a `mid`
 * (streamed requests aside) is claimed in the adapter's {@link DedupeStore} under (uid key, client id, mid)
 * before it is handled. `new`: handled, and its answer recorded (a request's reply or error, an event's
 * acceptance); `pending`: the first copy is still being handled, so a request waits for that answer (re-addressed
 * to its own `rid`, on whichever connection it came), an event for its acceptance; `done`: answered from the
 * record, no handler called.
 *
 * The memory store answers at once and the path stays synchronous: a claim is a Map lookup, no Promise, no
 * queue. A store that answers with a Promise (Redis) gets each connection's claims in arrival order, handled in
 * that order as the answers come back (several in flight at once: ioredis pipelines them).
 *
 * Waiters for an answer given on this node are told at once; one given on another node is found by asking the
 * store again (25 ms, doubling to 1 s), for as long as the waiting request's own deadline runs.
 */
export class DedupeGate {
  /** Repeated messages waiting for an answer, by (uid key, client id, mid). */
  private readonly waiters = new Map<string, Waiter[]>();
  private sweepTimer: Subscription | undefined;
  /** A claim came since the last sweep; sweeps without one, in a row. */
  private claimed = false;
  private idleSweeps = 0;
  private closed = false;

  constructor(
    private readonly store: DedupeStore,
    private readonly host: DedupeHost,
  ) {}

  /** True for a message the gate claims: an `e` or `q` with a `mid`, not a streamed request. */
  static applies(m: ClientSendMessage): boolean {
    return m.mid !== undefined && (m.t === MessageType.Event || m.w === undefined);
  }

  /** Claims a message's id and handles it by the verdict, keeping the connection's arrival order. */
  admit(conn: ServerConn, m: ClientSendMessage, data: unknown): void {
    const q = conn.claims;
    if (!DedupeGate.applies(m)) {
      if (!q) return this.host.handle(conn, m, data);
      q.items.push({ m, data, verdict: NEW, pending: undefined });
      return;
    }
    this.touch();
    let v: DedupeVerdict | Promise<DedupeVerdict>;
    try {
      v = this.store.claim(conn.key, conn.clientId, m.mid!);
    } catch (error) {
      v = this.failed(conn, error);
    }
    if (!(v instanceof Promise)) {
      if (!q) return this.settle(conn, m, data, v);
      q.items.push({ m, data, verdict: v, pending: undefined });
      return;
    }
    const claim: Claim = { m, data, verdict: undefined, pending: v };
    v.then(
      (r) => void (claim.verdict = r),
      (error: unknown) => void (claim.verdict = this.failed(conn, error)),
    );
    if (q) return void q.items.push(claim);
    let done!: () => void;
    const idle = new Promise<void>((r) => (done = r));
    conn.claims = { items: [claim], idle, done };
    void this.drain(conn);
  }

  /** Resolves when the connection has no claim waiting for the store; undefined when it has none now. */
  idle(conn: ServerConn): Promise<void> | undefined {
    return conn.claims?.idle;
  }

  /**
   * The first copy of a claimed message got its answer (a request's reply or error, undefined for an event):
   * recorded in the store, and given to every copy waiting for it on this node.
   */
  answered(conn: ServerConn, mid: number, stored: StoredReply | undefined): void {
    try {
      const r = this.store.complete(conn.key, conn.clientId, mid, stored);
      if (r instanceof Promise) r.catch((error: unknown) => this.storeFailed(conn, 'recording an answer', error));
    } catch (error) {
      this.storeFailed(conn, 'recording an answer', error);
    }
    if (this.waiters.size === 0) return;
    const k = keyOf(conn.key, conn.clientId, mid);
    const ws = this.waiters.get(k);
    if (!ws) return;
    this.waiters.delete(k);
    for (const w of ws) this.release(w, stored);
  }

  /** Stops the sweep and every waiter's polling. */
  close(): void {
    this.closed = true;
    this.sweepTimer?.unsubscribe();
    this.sweepTimer = undefined;
    for (const ws of this.waiters.values()) for (const w of ws) w.poll?.unsubscribe();
    this.waiters.clear();
  }

  /** A store that failed to answer a claim: reported, and the message handled as new (see PROTOCOL.md). */
  private failed(conn: ServerConn, error: unknown): DedupeVerdict {
    this.storeFailed(conn, 'claiming a message id (handled without dedupe)', error);
    return NEW;
  }

  private storeFailed(conn: ServerConn, what: string, error: unknown): void {
    this.host.report({ code: ErrorCode.AdapterError, message: `dedupe store failed ${what}: ${String((error as Error)?.message ?? error)}`, clientId: conn.clientId, uid: conn.uid, error });
  }

  /** Handles a connection's queued claims in arrival order as their verdicts come back. */
  private async drain(conn: ServerConn): Promise<void> {
    const q = conn.claims!;
    try {
      while (q.items.length > 0) {
        const head = q.items[0]!;
        if (head.verdict === undefined) await head.pending!.then(undefined, () => undefined);
        // Everything whose verdict is in by now goes in one go (one collection of acks).
        this.host.inFrame(conn, () => {
          while (q.items.length > 0 && q.items[0]!.verdict !== undefined) {
            const c = q.items.shift()!;
            try {
              this.settle(conn, c.m, c.data, c.verdict!);
            } catch (error) {
              this.host.report({ code: ErrorCode.HandlerError, message: `handling a claimed message failed: ${String((error as Error)?.message ?? error)}`, clientId: conn.clientId, uid: conn.uid, error });
            }
          }
        });
      }
    } finally {
      conn.claims = undefined;
      q.done();
    }
  }

  private settle(conn: ServerConn, m: ClientSendMessage, data: unknown, v: DedupeVerdict): void {
    switch (v.state) {
      case 'new':
        // Claimed, so it is handled even when its connection closed meanwhile: the client resends it, and
        // the copy finds this one's answer.
        this.host.handle(conn, m, data);
        if (m.t === MessageType.Event && DedupeGate.applies(m)) this.answered(conn, m.mid!, undefined);
        return;
      case 'done':
        if (conn.open) this.host.answer(conn, m, v.reply);
        return;
      case 'pending':
        return this.wait(conn, m, data);
    }
  }

  private wait(conn: ServerConn, m: ClientSendMessage, data: unknown): void {
    if (!conn.open) return;
    const held = m.t === MessageType.Request ? this.host.hold(conn, m) : undefined;
    if (m.t === MessageType.Request && !held) return;
    const w: Waiter = { conn, m, data, held, until: this.host.scheduler.now() + this.host.waitMs, poll: undefined, pollMs: FIRST_POLL_MS };
    const k = keyOf(conn.key, conn.clientId, m.mid!);
    const ws = this.waiters.get(k);
    if (ws) ws.push(w);
    else this.waiters.set(k, [w]);
    this.schedulePoll(w, k);
  }

  private waiting(w: Waiter): boolean {
    if (!w.conn.open || this.closed) return false;
    if (w.held) return this.host.holds(w.conn, (w.m as RequestMessage).rid, w.held);
    return this.host.scheduler.now() < w.until;
  }

  private release(w: Waiter, stored: StoredReply | undefined): void {
    w.poll?.unsubscribe();
    w.poll = undefined;
    if (this.waiting(w)) this.host.answer(w.conn, w.m, stored, w.held);
  }

  /** Asks the store again later: the answer may come from another node, which cannot tell this one. */
  private schedulePoll(w: Waiter, k: string): void {
    w.poll = this.host.scheduler.schedule(() => {
      w.poll = undefined;
      if (!this.waiting(w)) return this.drop(w, k);
      let v: DedupeVerdict | Promise<DedupeVerdict>;
      try {
        v = this.store.claim(w.conn.key, w.conn.clientId, w.m.mid!);
      } catch (error) {
        v = Promise.reject(error);
      }
      const onVerdict = (r: DedupeVerdict): void => {
        if (!this.waiters.get(k)?.includes(w)) return; // answered meanwhile
        if (r.state === 'pending') {
          w.pollMs = Math.min(w.pollMs * 2, MAX_POLL_MS);
          return this.schedulePoll(w, k);
        }
        this.drop(w, k);
        if (!this.waiting(w)) return;
        // `new`: the first copy's record left the window unanswered: this copy now holds the claim.
        if (r.state === 'new') return this.host.inFrame(w.conn, () => this.rehandle(w));
        this.host.inFrame(w.conn, () => this.host.answer(w.conn, w.m, r.reply, w.held));
      };
      if (v instanceof Promise) {
        v.then(onVerdict, (error: unknown) => {
          this.storeFailed(w.conn, 'checking a repeated message', error);
          if (this.waiters.get(k)?.includes(w)) this.schedulePoll(w, k);
        });
      } else onVerdict(v);
    }, w.pollMs);
  }

  /** A waiter that ended up owning the claim: its held entry is let go and the message handled as new. */
  private rehandle(w: Waiter): void {
    if (w.held) this.host.unhold(w.conn, (w.m as RequestMessage).rid, w.held);
    this.host.handle(w.conn, w.m, w.data);
    if (w.m.t === MessageType.Event) this.answered(w.conn, w.m.mid!, undefined);
  }

  private drop(w: Waiter, k: string): void {
    const ws = this.waiters.get(k);
    if (!ws) return;
    const i = ws.indexOf(w);
    if (i >= 0) ws.splice(i, 1);
    if (ws.length === 0) this.waiters.delete(k);
  }

  /** Keeps the store's sweep armed while claims come in (and one window after the last). No clock read per claim. */
  private touch(): void {
    this.claimed = true;
    if (this.sweepTimer || this.closed) return;
    const sweep = (this.store as { sweep?: () => void }).sweep;
    if (typeof sweep !== 'function') return;
    const period = Math.max(1, Math.min(SWEEP_MS, this.host.windowMs));
    const arm = (): void => {
      this.sweepTimer = this.host.scheduler.schedule(() => {
        this.sweepTimer = undefined;
        sweep.call(this.store);
        this.idleSweeps = this.claimed ? 0 : this.idleSweeps + 1;
        this.claimed = false;
        if (!this.closed && this.idleSweeps * period <= this.host.windowMs + period) arm();
      }, period);
    };
    arm();
  }
}

function keyOf(key: string, clientId: string, mid: number): string {
  return `${key}\u0000${clientId}\u0000${mid}`;
}
