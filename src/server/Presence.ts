import { BehaviorSubject, type SchedulerLike, type Subscription } from 'rxjs';
import type { TransportType } from '../protocol/events';

/** The connected users, per transport and overall, as `connectedUids$` shows them. */
export interface ConnectedUids {
  readonly ws: ReadonlySet<string>;
  readonly ajax: ReadonlySet<string>;
  readonly any: ReadonlySet<string>;
}

interface Entry {
  ws: number;
  ajax: number;
  wsGrace?: Subscription;
  ajaxGrace?: Subscription;
}

/**
 * `connectedUids$`: a BehaviorSubject whose snapshot is built only when someone can see it. While observed,
 * every change emits at once (as a plain BehaviorSubject would); while nobody subscribes, a change only marks
 * the snapshot stale, and `value`/`getValue()` or the next `subscribe` builds it. A connect storm with nobody
 * watching presence thus costs O(1) per uid instead of a copy of every set per uid.
 */
class UidsSubject extends BehaviorSubject<ConnectedUids> {
  stale = false;

  constructor(
    initial: ConnectedUids,
    private readonly build: () => ConnectedUids,
  ) {
    super(initial);
  }

  /** Emits a fresh snapshot now when observed; otherwise marks the current one stale. */
  publish(): void {
    if (this.closed || this.isStopped) return;
    if (this.observed) {
      this.stale = false;
      this.next(this.build());
    } else {
      this.stale = true;
    }
  }

  private refresh(): void {
    if (this.stale && !this.closed && !this.isStopped) {
      this.stale = false;
      this.next(this.build()); // nobody observes yet: this only stores the value
    }
  }

  override getValue(): ConnectedUids {
    this.refresh();
    return super.getValue();
  }

  // Every way to subscribe (directly, through pipe(), firstValueFrom) ends up here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override subscribe(...args: any[]): Subscription {
    this.refresh();
    return super.subscribe(...(args as Parameters<BehaviorSubject<ConnectedUids>['subscribe']>));
  }
}

/**
 * Tracks which uids are connected, with a grace period per transport so that a page reload (close, then a
 * new connection within the grace) does not make a user flap out and back in.
 */
export class Presence {
  /** The last snapshot built (the subject's value unless it is stale). */
  private last: ConnectedUids = { ws: new Set(), ajax: new Set(), any: new Set() };
  private readonly uids = new UidsSubject(this.last, () => this.snapshot());
  readonly connectedUids$: BehaviorSubject<ConnectedUids> = this.uids;
  private readonly entries = new Map<string, Entry>();
  /** The sets kept up to date entry by entry; snapshots copy the ones that changed since the last snapshot. */
  private readonly live = { ws: new Set<string>(), ajax: new Set<string>(), any: new Set<string>() };
  private changed = { ws: false, ajax: false, any: false };

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly graceMs: Record<TransportType, number>,
    private readonly onPort: (key: string, open: boolean) => void,
  ) {}

  /** A connection of `key` opened on `transport`. */
  opened(key: string, transport: TransportType): void {
    let e = this.entries.get(key);
    const isNew = !e;
    if (!e) this.entries.set(key, (e = { ws: 0, ajax: 0 }));
    const wasListed = e[transport] > 0 || this.graceOf(e, transport) !== undefined;
    this.cancelGrace(e, transport);
    e[transport]++;
    this.sync(key, e);
    if (!wasListed) this.publish();
    if (isNew) this.onPort(key, true);
  }

  /** A connection of `key` on `transport` closed; `remaining` is how many of that kind are still open. */
  closed(key: string, transport: TransportType, remaining: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    e[transport] = remaining;
    if (remaining > 0) return;
    this.cancelGrace(e, transport);
    const sub = this.scheduler.schedule(() => this.expire(key, transport), this.graceMs[transport]);
    if (transport === 'ws') e.wsGrace = sub;
    else e.ajaxGrace = sub;
    this.sync(key, e);
  }

  /**
   * A connection of `key` moved from one transport to another (Ajax → WebSocket upgrade); `remaining` is how
   * many are still open on `from`. No grace period for `from`: nothing closed, so the uid leaves that set at
   * once and stays in `any` throughout; no uidport event.
   */
  moved(key: string, from: TransportType, to: TransportType, remaining: number): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.cancelGrace(e, to);
    e[to]++;
    e[from] = remaining;
    this.sync(key, e);
    this.publish();
  }

  /** Ends every grace timer and completes `connectedUids$`. */
  close(): void {
    for (const e of this.entries.values()) {
      e.wsGrace?.unsubscribe();
      e.ajaxGrace?.unsubscribe();
    }
    for (const key of this.entries.keys()) this.sync(key, undefined);
    this.entries.clear();
    this.publish();
    this.uids.getValue(); // build the final snapshot even when nobody watches, as before
    this.connectedUids$.complete();
  }

  private expire(key: string, transport: TransportType): void {
    const e = this.entries.get(key);
    if (!e || e[transport] > 0) return;
    if (transport === 'ws') e.wsGrace = undefined;
    else e.ajaxGrace = undefined;
    const gone = e.ws === 0 && e.ajax === 0 && !e.wsGrace && !e.ajaxGrace;
    if (gone) this.entries.delete(key);
    this.sync(key, gone ? undefined : e);
    this.publish();
    if (gone) this.onPort(key, false);
  }

  private graceOf(e: Entry, t: TransportType): Subscription | undefined {
    return t === 'ws' ? e.wsGrace : e.ajaxGrace;
  }

  private cancelGrace(e: Entry, t: TransportType): void {
    this.graceOf(e, t)?.unsubscribe();
    if (t === 'ws') e.wsGrace = undefined;
    else e.ajaxGrace = undefined;
  }

  /** Brings the live sets in line with `key`'s entry (absent: not connected). */
  private sync(key: string, e: Entry | undefined): void {
    const inWs = !!e && (e.ws > 0 || !!e.wsGrace);
    const inAjax = !!e && (e.ajax > 0 || !!e.ajaxGrace);
    this.mark('ws', key, inWs);
    this.mark('ajax', key, inAjax);
    this.mark('any', key, inWs || inAjax);
  }

  private mark(set: keyof ConnectedUids, key: string, member: boolean): void {
    const live = this.live[set];
    if (live.has(key) === member) return;
    if (member) live.add(key);
    else live.delete(key);
    this.changed[set] = true;
  }

  /** A new snapshot object; sets that did not change since the previous one are shared with it (they are never mutated). */
  private snapshot(): ConnectedUids {
    const prev = this.last;
    const c = this.changed;
    this.changed = { ws: false, ajax: false, any: false };
    this.last = {
      ws: c.ws ? new Set(this.live.ws) : prev.ws,
      ajax: c.ajax ? new Set(this.live.ajax) : prev.ajax,
      any: c.any ? new Set(this.live.any) : prev.any,
    };
    return this.last;
  }

  private publish(): void {
    this.uids.publish();
  }
}
