import { Observable, Subject, type SchedulerLike, type Subscription } from 'rxjs';

/** A change of one node's membership of one uid key in a topic: `+`/`-`, node, uid key. */
export type TopicDelta = readonly [on: boolean, node: string, uid: string];

/**
 * One node's replica of a topic's cluster-wide presence, while `topicUids$(topic)` is watched there: for each
 * uid key, the nodes that have a member connection of it. Fed by the deltas on the topic's presence channel
 * (O(1) each) after one full read (`load`); deltas that arrive during a read are held and applied after it,
 * in order (each is "node N has uid U: yes/no", so the last one wins). Emits the uid set when loaded, then at
 * most once per tick of changes (delay 0 on the scheduler), as `LocalTopics` does.
 */
export class TopicView {
  private readonly byUid = new Map<string, Set<string>>();
  private readonly out = new Subject<ReadonlySet<string>>();
  private held: TopicDelta[] | undefined = [];
  private loaded = false;
  private emission: Subscription | undefined;
  watchers = 0;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly self: string,
  ) {}

  /** The set now, then after changes; nothing before the first load. */
  readonly uids$ = new Observable<ReadonlySet<string>>((sub) => {
    if (this.loaded) sub.next(this.snapshot());
    return this.out.subscribe(sub);
  });

  /** A delta from the presence channel (held while a read is under way). */
  delta(d: TopicDelta): void {
    if (d[1] === this.self) return; // this node's own memberships come from `set`, first-hand
    if (this.held) this.held.push(d);
    else this.set(d[1], d[2], d[0]);
  }

  /** Sets node `node`'s membership of `uid` (O(1)); schedules an emission when the uid set changed. */
  set(node: string, uid: string, on: boolean): void {
    let nodes = this.byUid.get(uid);
    if (on) {
      if (nodes?.has(node)) return;
      if (!nodes) this.byUid.set(uid, (nodes = new Set()));
      nodes.add(node);
      if (nodes.size === 1) this.changed();
    } else if (nodes?.delete(node) && nodes.size === 0) {
      this.byUid.delete(uid);
      this.changed();
    }
  }

  /** A full read starts: deltas are held from now on (the caller subscribed to the channel first). */
  reading(): void {
    this.held ??= [];
  }

  /**
   * The full read: `fields` of the topic's hash (`<node>\n<uid>`), this node's own uid keys in the topic, then
   * the held deltas. Emits the result (the first time, or when it changed).
   */
  load(fields: readonly string[], own: Iterable<string>): void {
    const before = this.loaded ? this.snapshot() : undefined;
    this.byUid.clear();
    for (const f of fields) {
      const at = f.indexOf('\n');
      if (at > 0 && f.slice(0, at) !== this.self) this.set(f.slice(0, at), f.slice(at + 1), true);
    }
    for (const uid of own) this.set(this.self, uid, true);
    const held = this.held ?? [];
    this.held = undefined;
    for (const d of held) this.delta(d);
    this.loaded = true;
    const now = this.snapshot();
    if (!before || before.size !== now.size || [...now].some((u) => !before.has(u))) this.emitNow(now);
  }

  /** Without Redis: show what this node knows (its own members, and the last state read). */
  loadLocal(own: Iterable<string>): void {
    if (this.loaded) return;
    for (const uid of own) this.set(this.self, uid, true);
    this.loaded = true;
    this.emitNow(this.snapshot());
  }

  complete(): void {
    this.emission?.unsubscribe();
    this.out.complete();
  }

  private snapshot(): Set<string> {
    return new Set(this.byUid.keys());
  }

  private changed(): void {
    if (!this.loaded || !this.out.observed) return;
    this.emission ??= this.scheduler.schedule(() => {
      this.emission = undefined;
      this.out.next(this.snapshot());
    });
  }

  private emitNow(s: ReadonlySet<string>): void {
    this.emission?.unsubscribe();
    this.emission = undefined;
    this.out.next(s);
  }
}
