import type { Redis } from 'ioredis';
import { interval, Observable, type Subscription } from 'rxjs';
import { ConfigError } from '../errors/ConfigError';
import { ErrorCode } from '../protocol/codes';
import type { EventMessage, TopicEventMessage } from '../protocol/messages';
import type { ServerConn } from '../server/ServerConn';
import type { TopicMember, TopicRegistry, TopicRegistryHost } from '../server/TopicRegistry';
import { streamOf } from '../server/adapter/streams';
import type { RedisReplayLog } from './RedisReplayLog';
import type { ResolvedRedisAdapterOptions } from './redisAdapterOptions';
import { decodeTopic, encodeTopic } from './topicCodec';
import { TopicStore } from './TopicStore';
import { TopicView } from './TopicView';

/** This node's members of one topic, and whether this node listens to the topic's channel. */
interface Local {
  readonly conns: Set<ServerConn>;
  /** Joined while the channel subscription was on its way: members once it is confirmed. */
  readonly waiting: Set<ServerConn>;
  /** Member connections per uid key (presence changes on 0 ↔ 1). */
  readonly uids: Map<string, number>;
  sub: 'off' | 'pending' | 'on';
  subscribing: Promise<void> | undefined;
}

/** One of this node's own publishes or removals, sent and waiting to come back from Redis. */
type Own = { readonly topic: string; readonly msg: TopicEventMessage } | { readonly topic: string; readonly who: TopicMember; readonly reason: string };

/** Counters of the topic registry, added to the adapter's `stats$` figures. */
export interface TopicCounts {
  sent: number;
  received: number;
  dropped: number;
  errors: number;
}

const NONE: readonly ServerConn[] = [];

/**
 * Cluster-wide topics on Redis, the `TopicRegistry` of the Redis adapter. A node subscribes to a topic's channel
 * (`<prefix>t:<topic>`, sharded pub/sub when Redis has it) while it has members there, so a publish is one
 * PUBLISH that Redis hands to exactly the nodes with members, packed once; each node delivers it to its members
 * through its batcher. The publishing node delivers its own publishes when they come back from Redis too, so
 * every member of a topic, on any node, gets its events in one order (Redis's). While this node cannot listen
 * (Redis down) it delivers its publishes locally at once, and what cannot reach other nodes is counted as dropped
 * and reported. Removal (`removeFromTopic`) travels on the same channel, in order with the events. Presence:
 * see `topicScripts.ts` and {@link TopicView}; a dead node's memberships are swept after `nodeTimeoutMs`.
 */
export class RedisTopics implements TopicRegistry {
  private host: TopicRegistryHost | undefined;
  private readonly sub: Redis;
  private readonly store: TopicStore;
  private readonly node: string;
  private readonly local = new Map<string, Local>();
  private readonly views = new Map<string, TopicView>();
  private readonly own = new Map<number, Own>();
  private nextOwn = 1;
  /** Subscribed and synced: this node's own messages come back from Redis. */
  private listening = false;
  private syncing: Promise<void> | undefined;
  private again = false;
  private failing = false;
  private closed = false;
  private timer: Subscription | undefined;
  readonly counts: TopicCounts = { sent: 0, received: 0, dropped: 0, errors: 0 };
  /** Settles once this node's memberships are gone from Redis after `close` (the adapter waits for it). */
  closing: Promise<void> = Promise.resolve();
  private isReady!: () => void;
  /** Resolves once this node first listens to its topics and has written its memberships. */
  readonly ready = new Promise<void>((resolve) => (this.isReady = resolve));

  /** Publishes carry `seq` from the adapter's replay log (stream `t:<topic>`) when the server resumes. */
  readonly resumable = true;

  constructor(
    private readonly cmd: Redis,
    private readonly o: ResolvedRedisAdapterOptions,
    private readonly log: RedisReplayLog,
  ) {
    if (o.nodeId.includes('\n')) throw new ConfigError(`option 'nodeId' must not contain a newline`);
    this.node = o.nodeId;
    this.store = new TopicStore(cmd, o.keyPrefix, o.nodeId, o.nodeTimeoutMs);
    this.sub = cmd.duplicate({ autoResubscribe: true, enableOfflineQueue: true, lazyConnect: true });
  }

  start(host: TopicRegistryHost): void {
    this.host = host;
    const sub = this.sub;
    sub.on('messageBuffer', (ch: Buffer, m: Buffer) => this.onMessage(ch.toString(), m));
    sub.on('smessageBuffer', (ch: Buffer, m: Buffer) => this.onMessage(ch.toString(), m));
    sub.on('error', (e: Error) => this.fail('connection', e));
    sub.on('close', () => this.deaf());
    sub.on('ready', () => void this.sync());
    this.cmd.on('ready', () => void this.sync());
    sub.connect().catch((e: unknown) => this.fail('connect', e));
    this.timer = interval(Math.max(1, this.o.heartbeatMs), host.scheduler).subscribe(() => void this.beat());
  }

  join(conn: ServerConn, topic: string): void | Promise<void> {
    let m = this.local.get(topic);
    if (!m) this.local.set(topic, (m = { conns: new Set(), waiting: new Set(), uids: new Map(), sub: 'off', subscribing: undefined }));
    if (m.conns.has(conn)) return;
    if (m.waiting.has(conn)) return m.subscribing;
    const rec = m;
    if (rec.sub === 'on' || !this.listening) {
      this.admit(topic, rec, conn);
      void this.subscribe(topic, rec); // Redis down: the sync on its return subscribes
      return;
    }
    rec.waiting.add(conn);
    return this.subscribe(topic, rec).then(() => {
      if (rec.waiting.delete(conn)) this.admit(topic, rec, conn);
    });
  }

  leave(conn: ServerConn, topic: string): void {
    const m = this.local.get(topic);
    if (!m) return;
    if (!m.waiting.delete(conn)) {
      if (!m.conns.delete(conn)) return;
      const n = m.uids.get(conn.key) ?? 1;
      if (n > 1) m.uids.set(conn.key, n - 1);
      else m.uids.delete(conn.key), this.listed(topic, conn.key, false);
    }
    if (m.conns.size > 0 || m.waiting.size > 0) return;
    this.local.delete(topic);
    for (const [n, a] of this.own) if (a.topic === topic) this.own.delete(n); // nobody here to deliver to
    if (m.sub !== 'off' && this.store.sharded !== undefined) this.store.unsubscribe(this.sub, this.store.channel('t', topic)).catch((e: unknown) => this.fail('unsubscribe', e));
  }

  membersOf(topic: string): Iterable<ServerConn> {
    return this.local.get(topic)?.conns ?? NONE;
  }

  publish(msg: TopicEventMessage): number {
    const host = this.host!;
    const m = this.local.get(msg.tp);
    if (!this.up()) {
      this.drop('publish');
      return host.deliver(msg);
    }
    const n = this.nextOwn++;
    const frame = host.packer.pack(msg);
    const payload = encodeTopic(['m', this.node, n, typeof frame === 'string' ? 0 : 1], frame);
    const back = this.listening && m?.sub === 'on';
    if (back) this.own.set(n, { topic: msg.tp, msg });
    this.counts.sent++;
    const ch = this.store.channel('t', msg.tp);
    // With topic logs: appended and published by one script, so every node sees a topic's offsets in order.
    const sent: Promise<number | undefined> = host.log
      ? this.log
          .append(streamOf.topic(msg.tp), msg as unknown as EventMessage, typeof frame === 'string' ? frame.length : frame.byteLength, {
            command: this.store.sharded ? 'spublish' : 'publish',
            payload,
            channels: [ch],
          })
          .then((p) => p.offset)
      : this.store.publish(ch, payload).then(() => undefined);
    sent.then(
      (seq) => {
        if (!back && host.log) host.deliver(seq === undefined ? msg : { ...msg, seq });
      },
      (e: unknown) => {
        this.counts.dropped++;
        this.fail('publish', e);
        if (!back) {
          if (host.log) host.deliver(msg);
        } else if (this.own.has(n)) this.settle(n); // it will not come back: deliver here (and what was before it)
      },
    );
    if (!back && !host.log) return host.deliver(msg);
    let here = 0;
    for (const c of m?.conns ?? NONE) if (c.open) here++;
    return here;
  }

  remove(topic: string, who: TopicMember, reason: string): number {
    const host = this.host!;
    const m = this.local.get(topic);
    if (!this.up()) {
      this.drop('removeFromTopic');
      return host.remove(topic, who, reason);
    }
    const n = this.nextOwn++;
    const back = this.listening && m?.sub === 'on';
    if (back) this.own.set(n, { topic, who, reason });
    this.send(topic, encodeTopic(['r', this.node, n, who, reason]), n);
    if (!back) return host.remove(topic, who, reason);
    let here = 0;
    for (const c of m!.conns) if ('clientId' in who ? c.clientId === who.clientId : c.uid === who.uid) here++;
    return here;
  }

  uids$(topic: string): Observable<ReadonlySet<string>> {
    return new Observable<ReadonlySet<string>>((subscriber) => {
      let v = this.views.get(topic);
      if (!v) {
        const view = (v = new TopicView(this.host!.scheduler, this.node));
        this.views.set(topic, view);
        if (this.listening) void this.watch(topic, view);
        else view.loadLocal(this.local.get(topic)?.uids.keys() ?? []);
      }
      const view = v;
      view.watchers++;
      const inner = view.uids$.subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        if (--view.watchers > 0 || this.views.get(topic) !== view) return;
        this.views.delete(topic);
        view.complete();
        if (this.store.sharded !== undefined) this.store.unsubscribe(this.sub, this.store.channel('tp', topic)).catch((e: unknown) => this.fail('unsubscribe', e));
      };
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listening = false;
    this.timer?.unsubscribe();
    for (const v of this.views.values()) v.complete();
    this.views.clear();
    this.own.clear();
    const up = this.up(true);
    this.closing = (up ? this.store.leave() : Promise.resolve())
      .then(() => undefined, (e: unknown) => this.fail('close', e))
      .finally(() => this.sub.disconnect());
  }

  // --- internals -------------------------------------------------------------------------------------------

  /** Commands can go out (the publish mode known: `closing` is true while `close` sweeps). */
  private up(closing = false): boolean {
    return this.cmd.status === 'ready' && this.store.sharded !== undefined && (closing || !this.closed);
  }

  private send(topic: string, payload: Buffer, n: number): void {
    this.counts.sent++;
    this.store.publish(this.store.channel('t', topic), payload).catch((e: unknown) => {
      this.counts.dropped++;
      this.fail('publish', e);
      if (this.own.has(n)) this.settle(n); // it will not come back: act here (and on what was before it)
    });
  }

  private admit(topic: string, m: Local, conn: ServerConn): void {
    m.conns.add(conn);
    const n = m.uids.get(conn.key) ?? 0;
    m.uids.set(conn.key, n + 1);
    if (n === 0) this.listed(topic, conn.key, true);
  }

  /** This node's membership of `uid` in `topic` changed: the replica at once, Redis when it answers. */
  private listed(topic: string, uid: string, on: boolean): void {
    this.views.get(topic)?.set(this.node, uid, on);
    if (!this.up()) return; // written by the sync when Redis is back
    this.store.listed(topic, uid, on).then(
        ([, alive]) => {
          if (alive === 0 && !this.closed) void this.sync(); // swept while away: write everything again
        },
        (e: unknown) => this.fail('presence', e),
      );
  }

  private subscribe(topic: string, m: Local): Promise<void> {
    if (m.sub === 'on') return Promise.resolve();
    if (m.sub === 'pending') return m.subscribing!;
    if (this.store.sharded === undefined) return Promise.resolve();
    m.sub = 'pending';
    return (m.subscribing = this.store.subscribe(this.sub, this.store.channel('t', topic)).then(
      () => {
        if (m.sub === 'pending') m.sub = 'on';
      },
      (e: unknown) => {
        m.sub = 'off';
        this.fail('subscribe', e);
      },
    ));
  }

  /** Subscribes to a topic's presence channel, then reads its hash into the replica. */
  private async watch(topic: string, view: TopicView): Promise<void> {
    try {
      view.reading();
      await this.store.subscribe(this.sub, this.store.channel('tp', topic));
      const fields = await this.store.members(topic);
      if (this.views.get(topic) === view) view.load(fields, this.local.get(topic)?.uids.keys() ?? []);
    } catch (e) {
      this.fail('topicUids$', e);
      view.loadLocal(this.local.get(topic)?.uids.keys() ?? []);
    }
  }

  private onMessage(ch: string, raw: Buffer): void {
    const host = this.host;
    const where = this.store.topicOf(ch);
    if (!host || this.closed || !where) return;
    const topic = where.topic;
    if (where.kind === 'tp') {
      const s = raw.toString();
      const at = s.indexOf('\n');
      if (at > 1) this.views.get(topic)?.delta([s[0] === '+', s.slice(1, at), s.slice(at + 1)]);
      return;
    }
    const m = decodeTopic(raw);
    if (!m) return this.fail('decode', new Error(`a malformed message on ${ch}`));
    const { header: h, seq } = m;
    if (h[1] === this.node) {
      if (this.own.has(h[2])) this.settle(h[2], seq);
      return; // else delivered here already (sent while not listening)
    }
    this.counts.received++;
    if (h[0] === 'r') return void host.remove(topic, h[3], h[4]);
    if (!this.local.get(topic)?.conns.size) return; // nobody here: not even unpacked
    let msg: TopicEventMessage;
    try {
      msg = host.packer.unpack(m.frame!) as TopicEventMessage;
    } catch (e) {
      return this.fail('decode', e);
    }
    host.deliver(seq === undefined ? msg : { ...msg, seq });
  }

  /**
   * Delivers this node's own messages up to `n`, in order (those before `n` did not come back: lost, delivered
   * without their offset); `seq` is `n`'s offset when it came back logged.
   */
  private settle(n: number, seq?: number): void {
    for (const [k, a] of this.own) {
      if (k > n) break;
      this.own.delete(k);
      if ('msg' in a) this.host!.deliver(k === n && seq !== undefined ? { ...a.msg, seq } : a.msg);
      else this.host!.remove(a.topic, a.who, a.reason);
    }
  }

  /** The subscriber connection dropped: what was on its way back is delivered here now. */
  private deaf(): void {
    this.listening = false;
    this.settle(Infinity);
  }

  /**
   * (Re)joins the cluster: heartbeat, every wanted channel subscribed (after ioredis's resubscribe), this node's
   * memberships written (stale ones removed), every watched replica read again. On start and whenever Redis
   * comes back; runs once at a time (a request meanwhile runs it again after).
   */
  private sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        if (this.closed || this.cmd.status !== 'ready' || this.sub.status !== 'ready') return;
        try {
          await this.store.detect(this.o.sharded);
          await this.sub.ping(); // answered after ioredis's resubscribe commands
          await this.beat();
          // 'on' ones were restored by ioredis (autoResubscribe) before the PING's answer
          await Promise.all([...this.local].map(([topic, m]) => this.subscribe(topic, m)));
          const stale = new Set(await this.store.mine());
          const writes: Promise<unknown>[] = [];
          const write = (topic: string, uid: string, on: boolean): void => void writes.push(this.store.listed(topic, uid, on));
          for (const [topic, m] of this.local) for (const uid of m.uids.keys()) stale.delete(`${topic}\n${uid}`), write(topic, uid, true);
          for (const e of stale) write(e.slice(0, e.indexOf('\n')), e.slice(e.indexOf('\n') + 1), false);
          await Promise.all(writes);
          await Promise.all([...this.views].map(([topic, v]) => this.watch(topic, v)));
          this.listening = true;
          this.failing = false;
          this.isReady();
        } catch (e) {
          this.fail('sync', e);
        }
      } while (this.again && !this.closed);
    };
    return (this.syncing = run().finally(() => (this.syncing = undefined)));
  }

  /** Heartbeat and dead-node sweep, every `heartbeatMs`; a node found swept while it was away syncs again. */
  private async beat(): Promise<void> {
    if (!this.up()) return;
    try {
      const [fresh] = await this.store.beat();
      if (fresh === 1 && this.listening) void this.sync();
    } catch (e) {
      this.fail('heartbeat', e);
    }
  }

  private drop(where: string): void {
    this.counts.dropped++;
    this.fail(where, new Error('Redis is unreachable'));
  }

  /** Counts a failure; reports the first of an outage (and any failure while Redis answers) on `errors$`. */
  private fail(where: string, e: unknown): void {
    this.counts.errors++;
    const down = this.cmd.status !== 'ready';
    if (down && this.failing) return;
    this.failing = down;
    this.host?.report({ code: ErrorCode.AdapterError, message: `Redis topics (${where}): ${String((e as Error)?.message ?? e)}`, error: e });
  }
}
