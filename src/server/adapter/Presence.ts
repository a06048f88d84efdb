import type { SchedulerLike, Subscription } from 'rxjs';
import type { TransportType } from '../../protocol/events';
import type { ServerConn } from '../ServerConn';

/** What {@link Presence} reports: listing changes of a uid key on this node, and its arrival and departure. */
export interface PresenceSink {
  /** `key` is now listed on ws / ajax on this node (grace periods included). Called only on a change. */
  listed(key: string, ws: boolean, ajax: boolean): void;
  /**
   * The first connection of `key` on this node arrived (`open`, with that connection), or its last listing here
   * ended after the grace period (with the last connection that closed: the context of a uidport-close).
   */
  port(key: string, open: boolean, conn: ServerConn): void;
}

interface Entry {
  ws: number;
  ajax: number;
  wsGrace?: Subscription;
  ajaxGrace?: Subscription;
  /** The connection that closed last while the key waits out its grace. */
  last?: ServerConn;
}

/**
 * Tracks which uid keys have connections on this node, with a grace period per transport so that a page
 * reload (close, then a new connection within the grace) does not make a user flap out and back in. O(1) per
 * change; what the changes mean (this process's `connectedUids$`, or one node's share of a cluster's) is the
 * sink's business.
 */
export class Presence {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly graceMs: Record<TransportType, number>,
    private readonly sink: PresenceSink,
  ) {}

  /** Whether `key` is listed on this node: ws, ajax (grace included). */
  state(key: string): { ws: boolean; ajax: boolean } | undefined {
    const l = listing(this.entries.get(key));
    return l === 0 ? undefined : { ws: (l & WS) !== 0, ajax: (l & AJAX) !== 0 };
  }

  /** Every key listed on this node. */
  keys(): Iterable<string> {
    return this.entries.keys();
  }

  /** A connection opened on its transport. */
  opened(conn: ServerConn): void {
    const key = conn.key;
    const transport = conn.transport;
    let e = this.entries.get(key);
    const isNew = !e;
    if (!e) this.entries.set(key, (e = { ws: 0, ajax: 0 }));
    const before = listing(isNew ? undefined : e);
    e.last = undefined;
    this.cancelGrace(e, transport);
    e[transport]++;
    this.sync(key, e, before);
    if (isNew) this.sink.port(key, true, conn);
  }

  /** A connection closed; `remaining` is how many of its transport are still open for its key. */
  closed(conn: ServerConn, remaining: number): void {
    const key = conn.key;
    const transport = conn.transport;
    const e = this.entries.get(key);
    if (!e) return;
    e[transport] = remaining;
    e.last = conn;
    if (remaining > 0) return;
    this.cancelGrace(e, transport);
    const sub = this.scheduler.schedule(() => this.expire(key, transport), this.graceMs[transport]);
    if (transport === 'ws') e.wsGrace = sub;
    else e.ajaxGrace = sub;
  }

  /**
   * A connection moved from one transport to another (Ajax → WebSocket upgrade); `remaining` is how many are
   * still open on `from`. No grace period for `from`: nothing closed, so the key leaves that set at once and
   * stays listed throughout; no port event.
   */
  moved(key: string, from: TransportType, to: TransportType, remaining: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    const before = listing(e);
    this.cancelGrace(e, to);
    e[to]++;
    e[from] = remaining;
    this.sync(key, e, before);
  }

  /** Ends every grace timer (no port events: the server is closing). */
  close(): void {
    for (const e of this.entries.values()) {
      e.wsGrace?.unsubscribe();
      e.ajaxGrace?.unsubscribe();
    }
    this.entries.clear();
  }

  private expire(key: string, transport: TransportType): void {
    const e = this.entries.get(key);
    if (!e || e[transport] > 0) return;
    const before = listing(e);
    if (transport === 'ws') e.wsGrace = undefined;
    else e.ajaxGrace = undefined;
    const gone = e.ws === 0 && e.ajax === 0 && !e.wsGrace && !e.ajaxGrace;
    if (gone) this.entries.delete(key);
    this.sync(key, gone ? undefined : e, before);
    if (gone && e.last) this.sink.port(key, false, e.last);
  }

  private cancelGrace(e: Entry, t: TransportType): void {
    (t === 'ws' ? e.wsGrace : e.ajaxGrace)?.unsubscribe();
    if (t === 'ws') e.wsGrace = undefined;
    else e.ajaxGrace = undefined;
  }

  /** Tells the sink when the listing of `key` changed from `before` to `e` (absent: not listed). */
  private sync(key: string, e: Entry | undefined, before: Listing): void {
    const now = listing(e);
    if (now !== before) this.sink.listed(key, (now & WS) !== 0, (now & AJAX) !== 0);
  }
}

/** A key's listing as bits: {@link WS} | {@link AJAX}. */
type Listing = number;
const WS = 1;
const AJAX = 2;

function listing(e: Entry | undefined): Listing {
  if (!e) return 0;
  return (e.ws > 0 || e.wsGrace ? WS : 0) | (e.ajax > 0 || e.ajaxGrace ? AJAX : 0);
}
