import type { SchedulerLike } from 'rxjs';
import type { Packer } from '../packers/Packer';
import { ErrorCode } from '../protocol/codes';
import type { ChskRequest } from '../protocol/events';
import { MessageType, type EventMessage, type ServerMessage, type TopicEventMessage, type TopicJoinMessage, type TopicLeaveMessage, type WireEvent } from '../protocol/messages';
import type { ServerConn, TopicJoin } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';
import { TokenBucket } from './TokenBucket';
import type { ReplayLog } from './adapter/ReplayLog';
import type { ServerAdapter } from './adapter/ServerAdapter';
import type { TopicMember, TopicRegistry } from './TopicRegistry';
import { TopicReplay } from './TopicReplay';
import { streamOf } from './adapter/streams';
import { approxBytes } from './adapter/approxBytes';

export type { TopicMember } from './TopicRegistry';

/** The characters a topic name may use (with `/` for namespaces: `room/42`, `user:7/inbox`). */
export const TOPIC_NAME = /^[A-Za-z0-9_.:@/-]+$/;

/** Decides whether `uid` may join `topic` with `params`; see the `authorizeTopic` server option. */
export type AuthorizeTopic = (req: ChskRequest, uid: string | null, topic: string, params: unknown) => boolean | Promise<boolean>;

/** What {@link ServerTopics} needs from the core and its options. */
export interface TopicsHost {
  readonly scheduler: SchedulerLike;
  readonly packer: Packer;
  readonly authorizeTopic: AuthorizeTopic | undefined;
  readonly maxTopicsPerConnection: number;
  readonly maxTopicLength: number;
  readonly topicJoinRate: { readonly perSecond: number; readonly burst: number } | false;
  /** Writes a message to one connection (after its pending acks). */
  write(conn: ServerConn, m: ServerMessage): void;
  /** Queues a topic event for `members` through the push batcher; answers how many connections it is queued for. */
  deliver(msg: TopicEventMessage, members: () => Iterable<ServerConn>): number;
  /**
   * Where topic events are logged (streams `t:<topic>`) when topics resume: publishes carry `seq`, joins answer
   * with their position and replay from the client's. Undefined: no topic offsets.
   */
  readonly log: ReplayLog | undefined;
  report(r: ServerErrorReport): void;
}


/**
 * The log topics resume from (the adapter's), or undefined: none when the server's `resume` is off; a registry
 * that publishes must say it logs (`resumable`); otherwise the core logs when the adapter is `resumable`.
 * Asked once the adapter started.
 */
export function topicLog(adapter: ServerAdapter, registry: TopicRegistry, resume: boolean): ReplayLog | undefined {
  if (!resume) return undefined;
  return (registry.publish ? registry.resumable === true : adapter.resumable) ? adapter.replayLog : undefined;
}

/**
 * The core's topic logic: joins (limits, name, rate, `authorizeTopic`, sync or async), leaves, publishes and
 * removals. Membership itself lives in a {@link TopicRegistry} (the adapter's, or this process's).
 */
export class ServerTopics {
  private readonly replay: TopicReplay | undefined;

  constructor(
    private readonly host: TopicsHost,
    readonly registry: TopicRegistry,
  ) {
    this.replay = host.log ? new TopicReplay(host.log, host) : undefined;
    registry.start?.({
      log: host.log,
      scheduler: host.scheduler,
      packer: host.packer,
      deliver: (msg) => this.deliverHere(msg),
      remove: (topic, who, reason) => this.removeHere(topic, who, reason),
      report: (r) => host.report(r),
    });
  }

  join(conn: ServerConn, m: TopicJoinMessage): void {
    const joins = (conn.joins ??= new Map());
    const { tid, tp: topic } = m;
    const refuse = (code: string, msg: string): void => this.host.write(conn, { t: MessageType.TopicClosed, tid, code, msg });
    if (joins.has(tid)) return refuse(ErrorCode.BadMessage, `topic id ${tid} is already in use on this connection`);
    if (topic.length > this.host.maxTopicLength || !TOPIC_NAME.test(topic)) {
      return refuse(ErrorCode.BadTopic, `a topic name is 1-${this.host.maxTopicLength} characters of [A-Za-z0-9_.:@/-]`);
    }
    if (joins.size >= this.host.maxTopicsPerConnection) {
      return refuse(ErrorCode.TooManyTopics, `this connection already holds ${joins.size} topics (maxTopicsPerConnection)`);
    }
    const rate = this.host.topicJoinRate;
    if (rate) {
      const scheduler = this.host.scheduler;
      conn.joinBucket ??= new TokenBucket(rate.perSecond, rate.burst, () => scheduler.now());
      if (!conn.joinBucket.take()) return refuse(ErrorCode.RateLimited, `joining topics faster than topicJoinRate (${rate.perSecond}/s, burst ${rate.burst})`);
    }
    const join: TopicJoin = { topic, joined: false };
    joins.set(tid, join);
    const decide = (ok: boolean): void => {
      if (!conn.open || conn.joins?.get(tid) !== join) return; // left or closed meanwhile
      if (!ok) {
        joins.delete(tid);
        return refuse(ErrorCode.TopicRefused, `not allowed to join "${topic}"`);
      }
      // Joined from here on: a leave or a close meanwhile leaves the registry (even before it has answered).
      join.joined = true;
      const member = this.registry.join(conn, topic);
      const valid = (): boolean => conn.open && conn.joins?.get(tid) === join;
      const accepted = (): void => {
        if (!valid()) return;
        if (this.replay) this.replay.open(conn, tid, topic, m.o ? { offset: m.o[0], epoch: m.o[1] } : undefined, valid);
        else this.host.write(conn, { t: MessageType.TopicJoined, tid });
      };
      if (member instanceof Promise) {
        member.then(accepted, (error: unknown) => {
          this.host.report({ code: ErrorCode.AdapterError, message: `the topic registry failed to join "${topic}"`, clientId: conn.clientId, uid: conn.uid, error });
          accepted(); // a member on this node at least
        });
      } else accepted();
    };
    const failed = (error: unknown): void => {
      this.host.report({ code: ErrorCode.TopicRefused, message: `authorizeTopic failed for "${topic}"`, clientId: conn.clientId, uid: conn.uid, error });
      decide(false);
    };
    const authorize = this.host.authorizeTopic;
    if (!authorize) return decide(false);
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = authorize(conn.req, conn.uid, topic, m.p);
    } catch (error) {
      return failed(error);
    }
    if (verdict instanceof Promise) verdict.then((ok) => decide(ok === true), failed);
    else decide(verdict === true);
  }

  leave(conn: ServerConn, m: TopicLeaveMessage): void {
    const join = conn.joins?.get(m.tid);
    if (!join) return;
    conn.joins!.delete(m.tid);
    if (join.joined && !this.holds(conn, join.topic)) this.registry.leave(conn, join.topic);
  }

  /** The connection closed: it leaves every topic. */
  closed(conn: ServerConn): void {
    const joins = conn.joins;
    conn.joins = undefined;
    if (!joins) return;
    const left = new Set<string>();
    for (const j of joins.values()) if (j.joined && !left.has(j.topic)) left.add(j.topic), this.registry.leave(conn, j.topic);
  }

  /**
   * Publishes `ev` to every member of `topic` through the push batcher (the same windows as pushes, so order with
   * them is kept); answers how many connections it is queued for.
   */
  publish(topic: string, ev: WireEvent): number {
    const msg: TopicEventMessage = { t: MessageType.TopicEvent, tp: topic, ev };
    if (this.registry.publish) return this.registry.publish(msg);
    const log = this.host.log;
    if (!log) return this.deliverHere(msg);
    // Logged first, delivered with its offset (the registry's own publish does this in the cluster).
    const logged = msg as unknown as EventMessage; // a topic stream holds topic events
    const pos = log.append(streamOf.topic(topic), logged, approxBytes(logged));
    if (!(pos instanceof Promise)) return this.deliverHere({ ...msg, seq: pos.offset });
    pos.then(
      (p) => this.deliverHere({ ...msg, seq: p.offset }),
      (error: unknown) => {
        this.host.report({ code: ErrorCode.AdapterError, message: `logging a publish to "${topic}" failed`, error });
        this.deliverHere(msg);
      },
    );
    let n = 0;
    for (const c of this.registry.membersOf(topic)) if (c.open) n++;
    return n;
  }

  /**
   * Removes the matching members from `topic` (on every node with a cluster registry): each of their joins of it
   * ends with `CHSK_TOPIC_REMOVED`. Answers how many of this node's connections match.
   */
  remove(topic: string, who: TopicMember, reason: string): number {
    return this.registry.remove ? this.registry.remove(topic, who, reason) : this.removeHere(topic, who, reason);
  }

  private deliverHere(msg: TopicEventMessage): number {
    const topic = msg.tp;
    const replay = this.replay;
    if (!replay) return this.host.deliver(msg, () => this.registry.membersOf(topic));
    const held = replay.published(msg);
    return held + this.host.deliver(msg, () => replay.members(topic, this.registry.membersOf(topic)));
  }

  private removeHere(topic: string, who: TopicMember, reason: string): number {
    let n = 0;
    for (const c of [...this.registry.membersOf(topic)]) {
      if ('clientId' in who ? c.clientId !== who.clientId : c.uid !== who.uid) continue;
      n++;
      for (const [tid, j] of [...(c.joins ?? [])]) {
        if (j.topic !== topic) continue;
        c.joins!.delete(tid);
        this.host.write(c, { t: MessageType.TopicClosed, tid, code: ErrorCode.TopicRemoved, msg: reason });
      }
      this.registry.leave(c, topic);
    }
    return n;
  }

  /** True while another accepted join of the connection holds `topic` (two params, one membership). */
  private holds(conn: ServerConn, topic: string): boolean {
    for (const j of conn.joins?.values() ?? []) if (j.joined && j.topic === topic) return true;
    return false;
  }
}
