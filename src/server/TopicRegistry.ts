import { BehaviorSubject, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { Packer } from '../packers/Packer';
import type { TopicEventMessage } from '../protocol/messages';
import type { ReplayLog } from './adapter/ReplayLog';
import type { ServerConn } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';

/** Who `removeFromTopic` removes: every connection of a uid, or one client. */
export type TopicMember = { readonly uid: string | null } | { readonly clientId: string };

/** What the core gives a {@link TopicRegistry} that carries topics between nodes (see `TopicRegistry.start`). */
export interface TopicRegistryHost {
  readonly scheduler: SchedulerLike;
  /**
   * The adapter's replay log when topics resume (the server's `resume` is on and the registry is `resumable`):
   * a registry that publishes appends each event to stream `t:<topic>` and delivers it with `seq`.
   */
  readonly log: ReplayLog | undefined;
  /** The server's packer (a cluster registry carries topic events between nodes packed with it). */
  readonly packer: Packer;
  /** Queues `msg` for this node's members of `msg.tp` through the push batcher; answers how many connections. */
  deliver(msg: TopicEventMessage): number;
  /** Removes this node's matching members from `topic` (their joins end with `CHSK_TOPIC_REMOVED`); answers how many. */
  remove(topic: string, who: TopicMember, reason: string): number;
  /** Reports a problem on `errors$`. */
  report(r: ServerErrorReport): void;
}

/**
 * Who is in which topic, and how a publish reaches them. The core joins and leaves connections through it and
 * delivers a publish to its `membersOf`; {@link LocalTopics} keeps this process's members. A cluster adapter provides its own
 * (`ServerAdapter.topics`) to carry publishes and presence between nodes; without one, topics are per process.
 */
export interface TopicRegistry {
  /**
   * Called once by the core, before any other call, by a registry that needs it (a cluster's: it delivers
   * what other nodes publish through the host).
   */
  start?(host: TopicRegistryHost): void;
  /**
   * Connection `conn` is now a member of `topic` (idempotent per connection and topic). A Promise: the member
   * counts (gets publishes, shows in `uids$`) once it resolves, e.g. once this node listens to the topic in
   * the cluster; the core answers the join (`ta`) then.
   */
  join(conn: ServerConn, topic: string): void | Promise<void>;
  /** Connection `conn` left `topic`. */
  leave(conn: ServerConn, topic: string): void;
  /** The members of `topic` on this node. */
  membersOf(topic: string): Iterable<ServerConn>;
  /** The uid keys in `topic` (`NIL_UID` for members without a uid): emits the set now and after every change. */
  uids$(topic: string): Observable<ReadonlySet<string>>;
  /**
   * Publishes `msg` to the members of `msg.tp` on every node (a cluster's registry); answers how many of this
   * node's connections it is queued for. Without it the core delivers to `membersOf` on this node.
   */
  publish?(msg: TopicEventMessage): number;
  /**
   * True when `publish` logs: with the host's `log`, every event it delivers (here and on other nodes) carries
   * `seq`, its offset in stream `t:<topic>` of the adapter's replay log, appended before any member could see
   * it. Without `publish` the core logs (when the adapter is `resumable`).
   */
  readonly resumable?: boolean;
  /**
   * Removes the matching members from `topic` on every node (a cluster's registry; each node through its
   * host's `remove`); answers how many of this node's connections match. Without it the core removes here.
   */
  remove?(topic: string, who: TopicMember, reason: string): number;
  /** Completes every `uids$`. */
  close(): void;
}

const NONE: readonly ServerConn[] = [];

/** One topic's members and, for presence, how many member connections each uid key has. */
interface Topic {
  readonly conns: Set<ServerConn>;
  readonly uids: Map<string, number>;
  view: UidsOfTopic | undefined;
}

/**
 * The uid set of one topic as `topicUids$` shows it. A change marks it stale and, while observed, schedules one
 * emission at the end of the tick (delay 0 on the scheduler): O(1) per change and one O(n) snapshot per tick with
 * changes, as for `connectedUids$`.
 */
class UidsOfTopic extends BehaviorSubject<ReadonlySet<string>> {
  private pending: Subscription | undefined;
  constructor(
    private readonly topic: Topic,
    private readonly scheduler: SchedulerLike,
  ) {
    super(new Set(topic.uids.keys()));
  }
  changed(): void {
    if (!this.observed || this.closed || this.isStopped) return;
    this.pending ??= this.scheduler.schedule(() => {
      this.pending = undefined;
      this.next(new Set(this.topic.uids.keys()));
    });
  }
  override complete(): void {
    this.pending?.unsubscribe();
    super.complete();
  }
}

/**
 * This process's topics: a Set of member connections per topic (made on the first join, dropped with the last
 * leave) and a count per uid key for presence. Join and leave are O(1).
 */
export class LocalTopics implements TopicRegistry {
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly scheduler: SchedulerLike) {}

  join(conn: ServerConn, topic: string): void {
    let t = this.topics.get(topic);
    if (!t) this.topics.set(topic, (t = { conns: new Set(), uids: new Map(), view: undefined }));
    if (t.conns.has(conn)) return;
    t.conns.add(conn);
    const n = t.uids.get(conn.key) ?? 0;
    t.uids.set(conn.key, n + 1);
    if (n === 0) t.view?.changed();
  }

  leave(conn: ServerConn, topic: string): void {
    const t = this.topics.get(topic);
    if (!t || !t.conns.delete(conn)) return;
    const n = t.uids.get(conn.key) ?? 1;
    if (n > 1) t.uids.set(conn.key, n - 1);
    else {
      t.uids.delete(conn.key);
      t.view?.changed();
    }
    if (t.conns.size === 0 && !t.view?.observed) {
      t.view?.complete();
      this.topics.delete(topic);
    }
  }

  membersOf(topic: string): Iterable<ServerConn> {
    return this.topics.get(topic)?.conns ?? NONE;
  }

  uids$(topic: string): Observable<ReadonlySet<string>> {
    return new Observable<ReadonlySet<string>>((sub) => {
      let t = this.topics.get(topic);
      if (!t) this.topics.set(topic, (t = { conns: new Set(), uids: new Map(), view: undefined }));
      const topicRec = t;
      if (!topicRec.view || topicRec.view.closed || topicRec.view.isStopped) topicRec.view = new UidsOfTopic(topicRec, this.scheduler);
      else if (topicRec.view.value.size !== topicRec.uids.size || [...topicRec.uids.keys()].some((k) => !topicRec.view!.value.has(k))) {
        topicRec.view.next(new Set(topicRec.uids.keys()));
      }
      const inner = topicRec.view.subscribe(sub);
      return () => {
        inner.unsubscribe();
        // The last watcher of an empty topic: forget it.
        if (!topicRec.view?.observed && topicRec.conns.size === 0 && this.topics.get(topic) === topicRec) {
          topicRec.view?.complete();
          this.topics.delete(topic);
        }
      };
    });
  }

  close(): void {
    for (const t of this.topics.values()) t.view?.complete();
    this.topics.clear();
  }
}
