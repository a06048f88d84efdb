import { BehaviorSubject, type Subscription } from 'rxjs';

/** The connected users, per transport and overall, as `connectedUids$` shows them. */
export interface ConnectedUids {
  readonly ws: ReadonlySet<string>;
  readonly ajax: ReadonlySet<string>;
  readonly any: ReadonlySet<string>;
}

/** One of the three sets of {@link ConnectedUids}. */
export type UidSet = keyof ConnectedUids;

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

  /** Emits a snapshot to subscribers (or marks it stale when nobody watches). */
  publish(): void {
    this.uids.publish();
  }

  /** Empties the sets, emits the final snapshot and completes. */
  close(): void {
    for (const k of [...this.live.any]) this.set(k, false, false);
    this.publish();
    this.uids.getValue(); // build the final snapshot even when nobody watches, as before
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
