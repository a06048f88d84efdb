import { Redis } from 'ioredis';
import { asyncScheduler, interval, type BehaviorSubject, type Subscription } from 'rxjs';
import { ConfigError } from '../errors/ConfigError';
import { ErrorCode } from '../protocol/codes';
import type { TransportType } from '../protocol/events';
import type { EventMessage } from '../protocol/messages';
import { LocalConnections } from '../server/adapter/LocalConnections';
import { Presence } from '../server/adapter/Presence';
import type { AdapterHost, AdapterStats, ServerAdapter } from '../server/adapter/ServerAdapter';
import type { ConnectedUids } from '../server/adapter/UidsView';
import type { ServerConn } from '../server/ServerConn';
import { decodeBus, encodeBus, type BusHeader } from './busCodec';
import { AJAX, ClusterView, WS } from './ClusterView';
import type { RedisAdapterOptions, ResolvedRedisAdapterOptions } from './redisAdapterOptions';
import { RedisAjaxDirectory } from './RedisAjaxDirectory';
import { RedisDedupe } from './RedisDedupe';
import { GatedReplayLog, LogDelivery } from './LogDelivery';
import { RedisTopics } from './RedisTopics';
import { NodePresence } from './NodePresence';

/**
 * The cluster adapter on Redis. Pushes carry offsets: each is appended to its replay log and published by one
 * script, and every node with connections of the uid delivers what Redis hands back, in offset order (see
 * {@link LogDelivery}). Without offsets (the server's `resume: false`, or Redis down) a push reaches local
 * connections at once and is published once to each other node that lists the uid (from this node's replica of
 * the cluster's presence), a broadcast once to the bus every node subscribes to. Presence
 * lives in Redis (a hash per uid of node listings, a set per node, a zset of node heartbeats); each node keeps
 * a replica fed by deltas, so `connectedUids$` is cluster-wide and O(1) per change. A uid's arrival and
 * departure are decided by an atomic script (the field count of its hash going 0 → n or n → 0), so uidport
 * events happen once per cluster. While Redis is unreachable local delivery goes on; cross-node pushes are
 * counted as dropped and the first failure of each outage is reported. Whenever either link comes back, and
 * when a heartbeat finds the node forgotten, the node syncs: subscribes (confirmed before it reads anything),
 * registers its users again and reads the whole presence into the replica (see {@link ClusterView.replace}).
 */
export class RedisAdapter extends LocalConnections implements ServerAdapter {
  private host: AdapterHost | undefined;
  private presence: Presence | undefined;
  private readonly cluster: ClusterView;
  readonly connectedUids$: BehaviorSubject<ConnectedUids>;
  /** Replay logs in Redis (streams with offsets as ids, epochs in meta hashes): every node reads them. */
  readonly replayLog: GatedReplayLog;
  private readonly delivery: LogDelivery;
  /** This node's listings, heartbeat, dead-node sweep and sync (see NodePresence). */
  private readonly nodes: NodePresence;
  /** Message-id dedupe in Redis: a message re-sent to another node is seen there. */
  readonly dedupe: RedisDedupe;
  /** Topics across the cluster: a channel per topic, presence per topic in Redis (see RedisTopics). */
  readonly topics: RedisTopics;
  /** Ajax connections reachable from every node: signed tokens, requests relayed to the connection's node. */
  readonly ajax: RedisAjaxDirectory;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly ownsCmd: boolean;
  private readonly p: string;
  private readonly bus: string;
  private ready: Promise<void> | undefined;
  private markReady: (() => void) | undefined;
  private timers: Subscription | undefined;
  private closed = false;
  private failing = false;
  private counts = { remoteSent: 0, remoteReceived: 0, remoteDropped: 0, errors: 0, nodes: 1, rttMs: null as number | null };

  constructor(
    options: RedisAdapterOptions,
    private readonly o: ResolvedRedisAdapterOptions,
  ) {
    super();
    this.ownsCmd = !options.client;
    this.cmd =
      options.client ??
      new Redis(options.url ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1, ...options.redisOptions });
    // Subscriptions live on their own connection; ioredis resubscribes it after a reconnect.
    this.sub = this.cmd.duplicate({ autoResubscribe: true, enableOfflineQueue: true });
    this.p = o.keyPrefix;
    this.bus = `${this.p}bus`;
    this.cluster = new ClusterView(o.nodeId);
    this.connectedUids$ = this.cluster.view.connectedUids$;
    this.nodes = new NodePresence({
      cmd: this.cmd,
      sub: this.sub,
      o,
      cluster: this.cluster,
      counts: this.counts,
      host: () => this.host,
      presence: () => this.presence,
      up: () => this.up(),
      closed: () => this.closed,
      connectionsOf: (key) => this.connectionsOf(key),
      countOf: (key) => this.countOf(key),
      publish: (channel, payload) => this.publish(channel, payload),
      fail: (where, e) => this.fail(where, e),
      restartUnlogged: () => this.delivery.restartUnlogged(),
      recheck: () => this.delivery.recheck(),
      synced: () => {
        this.failing = false;
        this.markReady?.();
      },
    });
    const now = (): number => (this.host?.scheduler ?? asyncScheduler).now();
    this.replayLog = new GatedReplayLog(this.cmd, this.p, now, options.replay);
    this.delivery = new LogDelivery(
      {
        cmd: this.cmd,
        sub: this.sub,
        prefix: this.p,
        nodeId: o.nodeId,
        bus: this.bus,
        sharded: () => this.nodes.sharded === true,
        up: () => this.up() && this.sub.status === 'ready',
        host: () => this.host,
        localKeys: () => new Set([...this.allConnections()].map((c) => c.key)),
        hasLocal: (key) => this.countOf(key) > 0,
        fail: (where, e) => this.fail(where, e),
        counts: this.counts,
      },
      this.replayLog,
    );
    this.dedupe = new RedisDedupe(this.cmd, this.p, now, options.dedupe);
    this.topics = new RedisTopics(this.cmd, o, this.replayLog);
    this.ajax = new RedisAjaxDirectory(this.cmd, this.p, o.nodeId, options.ajaxSecret, o.heartbeatMs);
    for (const c of [this.cmd, this.sub]) c.on('error', (e: Error) => this.fail('connection', e));
  }

  /** This node's id. */
  get nodeId(): string {
    return this.o.nodeId;
  }

  /** Resolves once subscribed and registered (the first time); servers may push before, locally. */
  whenReady(): Promise<void> {
    return Promise.all([this.ready, this.host ? this.topics.ready : undefined, this.ajax.whenReady()]).then(() => undefined);
  }

  /**
   * Resolves once every push and broadcast this node made so far has come back from Redis and was handed to its
   * connections (pushes with offsets reach even local connections one round trip later): for tests, or before
   * a graceful shutdown.
   */
  delivered(): Promise<void> {
    return this.delivery.delivered();
  }

  start(host: AdapterHost): void {
    if (this.host) throw new ConfigError('an adapter serves one server: create one per createChannelSocketServer');
    this.host = host;
    this.dedupe.usePacker(host.packer);
    this.presence = new Presence(host.scheduler, host.graceMs, {
      listed: (key, ws, ajax) => this.nodes.writeListing(key, (ws ? WS : 0) | (ajax ? AJAX : 0), false),
      port: (key, _open, conn) => this.nodes.causedBy(key, conn),
    });
    this.sub.on('messageBuffer', (_ch: Buffer, msg: Buffer) => this.onBus(msg));
    this.sub.on('smessageBuffer', (_ch: Buffer, msg: Buffer) => this.onBus(msg));
    // Either link coming back may have lost deltas (the subscriber) or data (Redis restarted): sync again.
    this.cmd.on('ready', () => this.nodes.scheduleSync());
    this.sub.on('ready', () => this.nodes.scheduleSync());
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
    this.nodes.scheduleSync(); // the links may be up already (a client passed in)
    const every = Math.max(1, this.o.heartbeatMs);
    this.timers = interval(every, host.scheduler).subscribe(() => void this.nodes.tick());
  }

  /**
   * Pushes carry offsets (unless the server's `resume` is `false`): each push and broadcast is appended to its
   * log in Redis and published by the same script, and every node delivers what comes back, in offset order
   * (see {@link LogDelivery}). While Redis is down, pushes reach local connections without offsets.
   */
  get resumable(): boolean {
    return this.host?.resume ?? true;
  }

  /** Answers the uid's pending listing (its arrival is being decided): the core holds the connection's frames. */
  override add(conn: ServerConn): Promise<void> | undefined {
    super.add(conn);
    if (this.resumable) this.delivery.opened(conn.key);
    this.presence?.opened(conn);
    this.nodes.writeCount(conn.key);
    return this.nodes.arrivalOf(conn.key);
  }

  override remove(conn: ServerConn): void {
    super.remove(conn);
    if (this.countOf(conn.key) === 0) this.delivery.closed(conn.key);
    this.presence?.closed(conn, this.count(conn.key, conn.transport));
    this.nodes.writeCount(conn.key);
  }

  override switched(conn: ServerConn, from: TransportType): void {
    super.switched(conn, from);
    if (from !== conn.transport) this.presence?.moved(conn.key, from, conn.transport, this.count(conn.key, from));
  }

  async connectionCount(uid: string): Promise<number> {
    if (!this.up()) return this.countOf(uid);
    try {
      let n = 0;
      for (const v of await this.cmd.hvals(`${this.p}c:${uid}`)) n += Number(v) || 0;
      return n;
    } catch (e) {
      this.fail('connectionCount', e);
      return this.countOf(uid);
    }
  }

  /** The dedupe record's epoch, shared by every node (see {@link RedisDedupe.epoch}). */
  dedupeEpoch(): Promise<string> {
    return this.dedupe.epoch();
  }

  push(key: string, msg: EventMessage, flush: boolean): number {
    if (this.resumable && this.delivery.push(key, msg, flush)) {
      let remote = 0;
      for (const node of this.cluster.nodesOf(key)) if (node !== this.o.nodeId) remote++;
      return this.countOf(key) + remote;
    }
    const local = this.host!.deliver(key, msg, flush);
    let remote = 0;
    let payload: Buffer | undefined;
    for (const node of this.cluster.nodesOf(key)) {
      if (node === this.o.nodeId) continue;
      payload ??= this.packed(['e', this.o.nodeId, key, 0], msg);
      if (this.publish(`${this.p}bus:${node}`, payload)) remote++;
    }
    return local + remote;
  }

  broadcast(msg: EventMessage, flush: boolean): number {
    if (this.resumable && this.delivery.broadcast(msg, flush)) return this.allCount() + Math.max(this.counts.nodes - 1, 0);
    const local = this.host!.deliver(undefined, msg, flush);
    // Always on the bus: a node that joined since the last heartbeat must not miss it.
    return this.publish(this.bus, this.packed(['b', this.o.nodeId, 0], msg)) ? local + Math.max(this.counts.nodes - 1, 0) : local;
  }

  async disconnect(key: string, code: number, reason: string): Promise<void> {
    this.host!.closeLocal(key, code, reason);
    this.publish(this.bus, encodeBus(['d', this.o.nodeId, key, code, reason]));
  }

  stats(): AdapterStats {
    const t = this.topics.counts;
    const c = this.counts;
    return { ...c, remoteSent: c.remoteSent + t.sent, remoteReceived: c.remoteReceived + t.received, remoteDropped: c.remoteDropped + t.dropped, errors: c.errors + t.errors, ajaxRelay: this.ajax.stats() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers?.unsubscribe();
    this.presence?.close();
    this.ajax.close(); // the server closed it already when one owns this adapter
    this.topics.close(); // the core closed it already when a server owns this adapter
    await this.topics.closing;
    // Leave at once (like Phoenix's permdown on shutdown): our listings go, and other nodes emit the
    // uidport-close of users who were only here when their sweep sees the published deltas.
    if (this.up()) {
      try {
        await this.nodes.leave();
      } catch (e) {
        this.fail('close', e);
      }
    }
    this.cluster.close();
    this.delivery.close();
    this.markReady?.();
    this.sub.disconnect();
    if (this.ownsCmd) this.cmd.disconnect();
  }

  // --- internals -------------------------------------------------------------------------------------------

  private up(): boolean {
    return this.cmd.status === 'ready' && !this.closed;
  }

  private packed(header: BusHeader, msg: EventMessage): Buffer {
    const frame = this.host!.packer.pack(msg);
    const h = [...header] as unknown as (string | number)[];
    h[h.length - 1] = typeof frame === 'string' ? 0 : 1;
    return encodeBus(h as unknown as BusHeader, frame);
  }

  /** Publishes without waiting; false (and counted as dropped) when Redis is unreachable. */
  private publish(channel: string, payload: Buffer): boolean {
    if (!this.up()) {
      this.counts.remoteDropped++;
      this.fail('publish', new Error('Redis is unreachable'));
      return false;
    }
    this.counts.remoteSent++;
    // Node channels are sharded when Redis has it (SSUBSCRIBE); the bus is one plain channel.
    (this.nodes.sharded && channel !== this.bus ? this.cmd.spublish(channel, payload) : this.cmd.publish(channel, payload)).catch((e: unknown) => {
      this.counts.remoteDropped++;
      this.fail('publish', e);
    });
    return true;
  }

  private allCount(): number {
    return this.perTransport.ws + this.perTransport.ajax;
  }

  private onBus(raw: Buffer): void {
    if (this.delivery.onMessage(raw)) return;
    const m = decodeBus(raw);
    const host = this.host;
    if (!m || !host || this.closed) return;
    const h = m.header;
    if (h[1] === this.o.nodeId) return; // our own broadcast or delta: already applied here
    switch (h[0]) {
      case 'e':
      case 'b': {
        this.counts.remoteReceived++;
        let msg: EventMessage;
        try {
          msg = host.packer.unpack(m.frame!) as EventMessage;
        } catch (e) {
          return this.fail('decode', e);
        }
        host.deliver(h[0] === 'e' ? h[2] : undefined, msg, false);
        return;
      }
      case 'd':
        host.closeLocal(h[2], h[3], h[4]);
        return;
      case 'p':
        this.cluster.apply(h[1], h[2], h[3]);
        return;
    }
  }

  /** Counts a failure; reports the first of an outage (and any failure while Redis answers) on `errors$`. */
  private fail(where: string, e: unknown): void {
    this.counts.errors++;
    const down = !this.up();
    if (down && this.failing) return;
    this.failing = down;
    this.host?.report({ code: ErrorCode.AdapterError, message: `Redis adapter (${where}): ${String((e as Error)?.message ?? e)}`, error: e });
  }
}
