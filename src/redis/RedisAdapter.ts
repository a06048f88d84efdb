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
import { HEARTBEAT, LISTED, SWEEP } from './scripts';

/** The scripts, as ioredis's defineCommand adds them (EVALSHA, falling back to EVAL). */
interface Scripts {
  chskHeartbeat(nodes: string, gone: string, node: string, ttlMs: string): Promise<[number, number, number]>;
  chskListed(uidKey: string, nodeKey: string, node: string, uid: string, ws: string, ajax: string): Promise<[number, number]>;
  chskSweep(nodes: string, prefix: string, ttlMs: string, node?: string): Promise<(string | number)[]>;
}

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
  /** Message-id dedupe in Redis: a message re-sent to another node is seen there. */
  readonly dedupe: RedisDedupe;
  /** Topics across the cluster: a channel per topic, presence per topic in Redis (see RedisTopics). */
  readonly topics: RedisTopics;
  /** Ajax connections reachable from every node: signed tokens, requests relayed to the connection's node. */
  readonly ajax: RedisAjaxDirectory;
  private readonly cmd: Redis;
  private readonly scripts: Scripts;
  private readonly sub: Redis;
  private readonly ownsCmd: boolean;
  private readonly p: string;
  private readonly bus: string;
  private readonly direct: string;
  private sharded: boolean | undefined;
  private ready: Promise<void> | undefined;
  private markReady: (() => void) | undefined;
  /** A first sync has completed: the node is registered and its replica loaded. */
  private started = false;
  /** The sync under way, and whether another must follow it (something happened meanwhile). */
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  /** A heartbeat found this node missing from Redis (or a sync failed): sync at the next tick. */
  private needSync = false;
  /** A heartbeat found this node swept while alive: the next sync's registrations emit uidport events. */
  private loud = false;
  private timers: Subscription | undefined;
  private closed = false;
  /** Local connections that caused a uid's pending arrival/departure, for the uidport event's context. */
  private readonly portCtx = new Map<string, ServerConn>();
  /** Uid keys whose listing script is in flight: settles once its uidport event, if any, was emitted. */
  private readonly arriving = new Map<string, Promise<void>>();
  /** Uid keys whose listing could not be written (Redis down): their port events are decided on restore. */
  private readonly dirty = new Set<string>();
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
    this.direct = `${this.p}bus:${o.nodeId}`;
    this.cluster = new ClusterView(o.nodeId);
    this.connectedUids$ = this.cluster.view.connectedUids$;
    this.cmd.defineCommand('chskHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
    this.cmd.defineCommand('chskListed', { numberOfKeys: 2, lua: LISTED });
    this.cmd.defineCommand('chskSweep', { numberOfKeys: 1, lua: SWEEP });
    this.scripts = this.cmd as unknown as Scripts;
    const now = (): number => (this.host?.scheduler ?? asyncScheduler).now();
    this.replayLog = new GatedReplayLog(this.cmd, this.p, now, options.replay);
    this.delivery = new LogDelivery(
      {
        cmd: this.cmd,
        sub: this.sub,
        prefix: this.p,
        nodeId: o.nodeId,
        bus: this.bus,
        sharded: () => this.sharded === true,
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
      listed: (key, ws, ajax) => this.writeListing(key, (ws ? WS : 0) | (ajax ? AJAX : 0), false),
      port: (key, _open, conn) => void this.portCtx.set(key, conn),
    });
    this.sub.on('messageBuffer', (_ch: Buffer, msg: Buffer) => this.onBus(msg));
    this.sub.on('smessageBuffer', (_ch: Buffer, msg: Buffer) => this.onBus(msg));
    // Either link coming back may have lost deltas (the subscriber) or data (Redis restarted): sync again.
    this.cmd.on('ready', () => this.scheduleSync());
    this.sub.on('ready', () => this.scheduleSync());
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
    this.scheduleSync(); // the links may be up already (a client passed in)
    const every = Math.max(1, this.o.heartbeatMs);
    this.timers = interval(every, host.scheduler).subscribe(() => void this.tick());
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
    this.writeCount(conn.key);
    return this.arriving.get(conn.key);
  }

  override remove(conn: ServerConn): void {
    super.remove(conn);
    if (this.countOf(conn.key) === 0) this.delivery.closed(conn.key);
    this.presence?.closed(conn, this.count(conn.key, conn.transport));
    this.writeCount(conn.key);
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
        const out = await this.scripts.chskSweep(`${this.p}nodes`, this.p, '0', this.o.nodeId);
        await this.announceSweep(out, false);
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
    (this.sharded && channel !== this.bus ? this.cmd.spublish(channel, payload) : this.cmd.publish(channel, payload)).catch((e: unknown) => {
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

  /** Starts a sync, or asks for one more after the one under way (its reads may predate what just happened). */
  private scheduleSync(): void {
    if (this.closed) return;
    if (this.syncing) return void (this.syncAgain = true);
    this.syncing = this.sync().finally(() => {
      this.syncing = undefined;
      if (this.syncAgain) (this.syncAgain = false), this.scheduleSync();
    });
  }

  /**
   * Brings this node and Redis back in step (first start, a link back, a node found forgotten): subscribes, with
   * Redis confirming before anything is read, so every delta published from then on reaches us (ioredis also
   * resubscribes by itself; subscribing twice is a no-op); heartbeats; writes every listing of this node's
   * presence (Redis may have lost them, or a sweep removed them) and removes the ones it no longer has; then
   * reads the whole presence into the replica. Needs both links: the other one's `ready` calls again.
   */
  private async sync(): Promise<void> {
    if (!this.up() || this.sub.status !== 'ready') return;
    const initial = !this.started;
    try {
      if (this.sharded === undefined) {
        if (this.o.sharded === 'auto') {
          const info = await this.cmd.info('server');
          this.sharded = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0) >= 7;
        } else this.sharded = this.o.sharded;
      }
      await (this.sharded ? this.sub.ssubscribe(this.direct) : this.sub.subscribe(this.direct));
      // The bus carries every node's presence deltas and broadcasts: one channel, so it stays on plain
      // pub/sub (sharding one channel buys nothing).
      await this.sub.subscribe(this.bus);
      // Every stream delivered here reads what it may have missed while a link was down (ioredis resubscribed
      // the uid channels before the subscribe above was answered).
      // Streams that missed pushes this node could not log start over first (before any append or catch-up).
      await this.delivery.restartUnlogged();
      if (!initial) this.delivery.recheck();
      await this.beat();
      this.needSync = false;
      // Registrations are quiet (no uidport event) unless the cluster said goodbye to these users: this node was
      // swept, a listing change could not be written, or this is the first start (a previous life's leftovers).
      const loud = this.loud || initial;
      this.loud = false;
      const p = this.presence!;
      const stale = new Set(await this.cmd.smembers(`${this.p}n:${this.o.nodeId}`));
      for (const key of p.keys()) {
        stale.delete(key);
        const s = p.state(key);
        this.writeListing(key, (s?.ws ? WS : 0) | (s?.ajax ? AJAX : 0), !loud && !this.dirty.has(key));
        this.writeCount(key);
      }
      for (const key of stale) this.writeListing(key, 0, !loud && !this.dirty.has(key));
      this.dirty.clear();
      await this.resync();
      this.started = true;
      this.failing = false;
      this.markReady?.();
    } catch (e) {
      this.needSync = true; // the next tick tries again
      this.fail(initial ? 'connect' : 'restore', e);
    }
  }

  /** Reads every uid hash into the replica (after subscribing; deltas that arrive meanwhile win over the read). */
  private async resync(): Promise<void> {
    const token = this.cluster.beginRead();
    try {
      const state = new Map<string, Map<string, number>>();
      const plen = `${this.p}u:`.length;
      let cursor = '0';
      do {
        const [next, keys] = await this.cmd.scan(cursor, 'MATCH', `${this.p}u:*`, 'COUNT', 500);
        cursor = next;
        const pipe = this.cmd.pipeline();
        for (const k of keys) pipe.hgetall(k);
        const res = (await pipe.exec()) ?? [];
        keys.forEach((k, i) => {
          const fields = (res[i]?.[1] ?? {}) as Record<string, string>;
          const m = new Map<string, number>();
          for (const f of Object.keys(fields)) {
            const at = f.lastIndexOf(':');
            const node = f.slice(0, at);
            m.set(node, (m.get(node) ?? 0) | (f.slice(at + 1) === 'w' ? WS : AJAX));
          }
          if (m.size > 0) state.set(k.slice(plen), m);
        });
      } while (cursor !== '0');
      this.cluster.replace(state, token);
    } catch (e) {
      this.cluster.abandon(token);
      throw e;
    }
  }

  /** Heartbeat, dead-node sweep and round-trip time; every `heartbeatMs`. Starts a sync when one is due. */
  private async tick(): Promise<void> {
    if (!this.up()) return;
    try {
      await this.beat();
      const out = await this.scripts.chskSweep(`${this.p}nodes`, this.p, String(this.o.nodeTimeoutMs));
      await this.announceSweep(out, true);
    } catch (e) {
      this.fail('heartbeat', e);
    }
    if (this.needSync && this.started) this.scheduleSync();
  }

  /**
   * One heartbeat. When it finds this node missing from Redis after the first sync (swept while alive, or
   * Redis lost its data without our links dropping), a sync is due; when a sweep left our tombstone, that sync's
   * registrations emit uidport events (the sweeper emitted the closes). The flags are set as the answer
   * arrives, so a sync that heartbeats after a tick's heartbeat sees them.
   */
  private async beat(): Promise<void> {
    const t0 = Date.now(); // scheduler-exempt: a wall-clock round trip, not a timer
    const [live, added, swept] = await this.scripts.chskHeartbeat(`${this.p}nodes`, `${this.p}gone:${this.o.nodeId}`, this.o.nodeId, String(this.o.nodeTimeoutMs));
    this.counts.rttMs = Date.now() - t0; // scheduler-exempt
    this.counts.nodes = Number(live);
    if (Number(swept) === 1) this.loud = true;
    if (Number(added) === 1 && this.started) this.needSync = true;
  }

  /** Publishes the deltas of swept nodes and emits uidport-close for the uids they leave empty. */
  private async announceSweep(out: (string | number)[], ports: boolean): Promise<void> {
    for (let i = 0; i + 2 < out.length; i += 3) {
      const node = String(out[i]);
      const key = String(out[i + 1]);
      const left = Number(out[i + 2]);
      this.cluster.apply(node, key, 0);
      this.publish(this.bus, encodeBus(['p', node, key, 0]));
      if (ports && left === 0) this.host?.uidPort(key, false, undefined);
    }
  }

  /** Writes this node's listing of `key` and publishes the delta; emits uidport events on 0 ↔ n. */
  private writeListing(key: string, bits: number, quiet: boolean): void {
    this.cluster.apply(this.o.nodeId, key, bits);
    if (!this.up()) {
      this.dirty.add(key);
      return this.fail('presence', new Error('Redis is unreachable'));
    }
    const ws = (bits & WS) !== 0 ? '1' : '0';
    const ajax = (bits & AJAX) !== 0 ? '1' : '0';
    const done: Promise<void> = this.scripts.chskListed(`${this.p}u:${key}`, `${this.p}n:${this.o.nodeId}`, this.o.nodeId, key, ws, ajax).then(
      ([before, after]) => {
        if (quiet || this.closed) return;
        // The connection that caused it; for a registration made again (after a sweep), one that is open here.
        const ctx = this.portCtx.get(key) ?? (after > 0 ? first(this.connectionsOf(key)) : undefined);
        if (before === 0 && after > 0) this.portCtx.delete(key), this.host?.uidPort(key, true, ctx);
        else if (before > 0 && after === 0) this.portCtx.delete(key), this.host?.uidPort(key, false, ctx);
      },
      (e: unknown) => void (this.dirty.add(key), this.fail('presence', e)),
    );
    if (bits !== 0) {
      // Connections of `key` opened until it settles wait for it (see add).
      this.arriving.set(key, done);
      void done.then(() => this.arriving.get(key) === done && this.arriving.delete(key));
    }
    this.publish(this.bus, encodeBus(['p', this.o.nodeId, key, bits]));
  }

  /** Writes this node's connection count of `key` (for `maxConnectionsPerUid`). */
  private writeCount(key: string): void {
    if (!this.up()) return;
    const n = this.countOf(key);
    const k = `${this.p}c:${key}`;
    (n > 0 ? this.cmd.hset(k, this.o.nodeId, n) : this.cmd.hdel(k, this.o.nodeId)).catch((e: unknown) => this.fail('count', e));
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

function first<T>(items: Iterable<T>): T | undefined {
  for (const x of items) return x;
  return undefined;
}
