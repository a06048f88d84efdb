import { BehaviorSubject, type SchedulerLike, type Subscription } from 'rxjs';

/** The connected users, per transport and overall, as `connectedUids$` shows them. */
export interface ConnectedUids {
  readonly ws: ReadonlySet<string>;
  readonly ajax: ReadonlySet<string>;
  readonly any: ReadonlySet<string>;
}

/** One of the three sets of {@link ConnectedUids}. */
export type UidSet = keyof ConnectedUids;

/**
 * `connectedUids$`: a BehaviorSubject whose snapshot is built at most once per tick, and only when someone can
 * see it. A snapshot copies the sets that changed (O(n)), so building one per change made presence quadratic:
 * 20,000 users connecting with one subscriber took 5.8x the CPU, 10,000 leaving at once blocked the loop for 5 s.
 * A change only marks the snapshot stale; while observed, it also schedules one emission on the scheduler
 * (delay 0: the same virtual frame under `TestScheduler`) that carries every change made until then.
 * `value`/`getValue()` and a new `subscribe` build the snapshot on demand, so what they see is always current.
 * Cost: O(1) per change, plus one O(n) snapshot per tick that has changes, however many it holds.
 */
class UidsSubject extends BehaviorSubject<ConnectedUids> {
  stale = false;
  /** Where emissions are coalesced; without one, every publish emits at once. */
  scheduler: SchedulerLike | undefined;
  private emission: Subscription | undefined;

  constructor(
    initial: ConnectedUids,
    private readonly build: () => ConnectedUids,
  ) {
    super(initial);
  }

  /** Marks the snapshot stale; when observed, one emission at the end of the tick carries it. */
  publish(): void {
    if (this.closed || this.isStopped) return;
    this.stale = true;
    if (!this.observed) return;
    if (!this.scheduler) return this.refresh();
    this.emission ??= this.scheduler.schedule(() => {
      this.emission = undefined;
      this.refresh();
    });
  }

  /** Builds and emits the snapshot now if it is stale (on demand, and before completing). */
  refresh(): void {
    if (this.stale && !this.closed && !this.isStopped) {
      this.stale = false;
      this.next(this.build());
    }
  }

  override complete(): void {
    this.emission?.unsubscribe();
    this.emission = undefined;
    super.complete();
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
 * The sets behind `connectedUids$`, kept up to date member by member (`mark`), and published as immutable
 * snapshots (`publish`). An adapter feeds it: the memory adapter from this process's presence, a cluster
 * adapter from every node's. Sets that did not change since the previous snapshot are shared with it.
 */
export class UidsView {
  /** The last snapshot built (the subject's value unless it is stale). */
  private last: ConnectedUids = { ws: new Set(), ajax: new Set(), any: new Set() };
  private readonly uids = new UidsSubject(this.last, () => this.snapshot());
  readonly connectedUids$: BehaviorSubject<ConnectedUids> = this.uids;
  private readonly live = { ws: new Set<string>(), ajax: new Set<string>(), any: new Set<string>() };
  private changed = { ws: false, ajax: false, any: false };

  /** Whether `key` is in one set now (the live set, not the last snapshot). */
  has(set: UidSet, key: string): boolean {
    return this.live[set].has(key);
  }

  /** Puts `key` in or out of one set; true when that changed it. Call `publish` after a group of marks. */
  mark(set: UidSet, key: string, member: boolean): boolean {
    const live = this.live[set];
    if (live.has(key) === member) return false;
    if (member) live.add(key);
    else live.delete(key);
    this.changed[set] = true;
    return true;
  }

  /** Marks `key` in `ws` and `ajax` and derives `any`; true when any set changed. */
  set(key: string, ws: boolean, ajax: boolean): boolean {
    const a = this.mark('ws', key, ws);
    const b = this.mark('ajax', key, ajax);
    const c = this.mark('any', key, ws || ajax);
    return a || b || c;
  }

  /** Every key in the live `any` set. */
  keys(): Iterable<string> {
    return this.live.any;
  }

  /**
   * Coalesces emissions per tick on `scheduler` (the server's): changes published in one tick leave in one
   * emission at its end. Without it every `publish` emits at once, an O(n) snapshot per change.
   */
  coalesceOn(scheduler: SchedulerLike): void {
    this.uids.scheduler = scheduler;
  }

  /** Tells subscribers the sets changed: one emission per tick with {@link coalesceOn}; marks the snapshot stale when nobody watches. */
  publish(): void {
    this.uids.publish();
  }

  /** Empties the sets, emits the final snapshot and completes. */
  close(): void {
    for (const k of [...this.live.any]) this.set(k, false, false);
    this.publish();
    this.uids.refresh(); // the final snapshot goes out before completion, watched or not
    this.connectedUids$.complete();
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
}
