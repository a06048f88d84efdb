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
 * Tracks which uids are connected, with a grace period per transport so that a page reload (close, then a
 * new connection within the grace) does not make a user flap out and back in.
 */
export class Presence {
  readonly connectedUids$ = new BehaviorSubject<ConnectedUids>({ ws: new Set(), ajax: new Set(), any: new Set() });
  private readonly entries = new Map<string, Entry>();

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
    this.publish();
  }

  /** Ends every grace timer and completes `connectedUids$`. */
  close(): void {
    for (const e of this.entries.values()) {
      e.wsGrace?.unsubscribe();
      e.ajaxGrace?.unsubscribe();
    }
    this.entries.clear();
    this.publish();
    this.connectedUids$.complete();
  }

  private expire(key: string, transport: TransportType): void {
    const e = this.entries.get(key);
    if (!e || e[transport] > 0) return;
    if (transport === 'ws') e.wsGrace = undefined;
    else e.ajaxGrace = undefined;
    const gone = e.ws === 0 && e.ajax === 0 && !e.wsGrace && !e.ajaxGrace;
    if (gone) this.entries.delete(key);
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

  private publish(): void {
    const ws = new Set<string>();
    const ajax = new Set<string>();
    const any = new Set<string>();
    for (const [key, e] of this.entries) {
      const inWs = e.ws > 0 || !!e.wsGrace;
      const inAjax = e.ajax > 0 || !!e.ajaxGrace;
      if (inWs) ws.add(key);
      if (inAjax) ajax.add(key);
      if (inWs || inAjax) any.add(key);
    }
    if (!this.connectedUids$.closed && !this.connectedUids$.isStopped) this.connectedUids$.next({ ws, ajax, any });
  }
}
