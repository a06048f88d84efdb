import type { Redis } from 'ioredis';
import type { Presence } from '../server/adapter/Presence';
import type { AdapterHost } from '../server/adapter/ServerAdapter';
import type { ServerConn } from '../server/ServerConn';
import { encodeBus } from './busCodec';
import { AJAX, type ClusterView, WS } from './ClusterView';
import type { ResolvedRedisAdapterOptions } from './redisAdapterOptions';
import { HEARTBEAT, LISTED, SWEEP } from './scripts';

/** The scripts, as ioredis's defineCommand adds them (EVALSHA, falling back to EVAL). */
interface Scripts {
  chskHeartbeat(nodes: string, gone: string, node: string, ttlMs: string): Promise<[number, number, number]>;
  chskListed(uidKey: string, nodeKey: string, node: string, uid: string, ws: string, ajax: string): Promise<[number, number]>;
  chskSweep(nodes: string, prefix: string, ttlMs: string, node?: string): Promise<(string | number)[]>;
}

/** What {@link NodePresence} needs from the adapter. */
export interface NodePresenceHost {
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly o: ResolvedRedisAdapterOptions;
  readonly cluster: ClusterView;
  /** The adapter's counters: `nodes` and `rttMs` are written here. */
  readonly counts: { nodes: number; rttMs: number | null };
  /** The server, once the adapter has started. */
  host(): AdapterHost | undefined;
  /** The per-node grace periods, once the adapter has started. */
  presence(): Presence | undefined;
  /** The command link is up and the adapter is open. */
  up(): boolean;
  /** The adapter has closed. */
  closed(): boolean;
  /** This node's connections of a uid key. */
  connectionsOf(key: string): Iterable<ServerConn>;
  /** Its number of connections of a uid key. */
  countOf(key: string): number;
  /** Publishes on a channel without waiting (false when Redis is unreachable). */
  publish(channel: string, payload: Buffer): boolean;
  /** Counts a failure, reporting the first of an outage. */
  fail(where: string, e: unknown): void;
  /** Restarts the streams that missed pushes this node could not log (see `LogDelivery.restartUnlogged`). */
  restartUnlogged(): Promise<void>;
  /** A sync after a link came back: every delivered stream reads what it may have missed. */
  recheck(): void;
  /** A sync completed (the node is registered and its replica loaded). */
  synced(): void;
}

/**
 * This node's presence in Redis: its listings (a hash per uid of node listings, a set per node) written by an
 * atomic script that decides a uid's arrival and departure (uidport events once per cluster), its connection
 * counts, its heartbeat in the zset of nodes with the sweep of dead nodes, and the sync that brings the node and
 * Redis back in step (first start, a link back, the node found forgotten) and reloads the replica.
 */
export class NodePresence {
  private readonly scripts: Scripts;
  private readonly p: string;
  private readonly bus: string;
  private readonly direct: string;
  /** Node channels are sharded (SSUBSCRIBE), decided at the first sync (`sharded: 'auto'`: Redis 7+). */
  sharded: boolean | undefined;
  /** A first sync has completed: the node is registered and its replica loaded. */
  private started = false;
  /** The sync under way, and whether another must follow it (something happened meanwhile). */
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  /** A heartbeat found this node missing from Redis (or a sync failed): sync at the next tick. */
  private needSync = false;
  /** A heartbeat found this node swept while alive: the next sync's registrations emit uidport events. */
  private loud = false;
  /** Local connections that caused a uid's pending arrival/departure, for the uidport event's context. */
  private readonly portCtx = new Map<string, ServerConn>();
  /** Uid keys whose listing script is in flight: settles once its uidport event, if any, was emitted. */
  private readonly arriving = new Map<string, Promise<void>>();
  /** Uid keys whose listing could not be written (Redis down): their port events are decided on restore. */
  private readonly dirty = new Set<string>();

  constructor(private readonly a: NodePresenceHost) {
    const cmd = a.cmd;
    cmd.defineCommand('chskHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
    cmd.defineCommand('chskListed', { numberOfKeys: 2, lua: LISTED });
    cmd.defineCommand('chskSweep', { numberOfKeys: 1, lua: SWEEP });
    this.scripts = cmd as unknown as Scripts;
    this.p = a.o.keyPrefix;
    this.bus = `${this.p}bus`;
    this.direct = `${this.p}bus:${a.o.nodeId}`;
  }

  /** The pending listing of `key` (its arrival is being decided), if any. */
  arrivalOf(key: string): Promise<void> | undefined {
    return this.arriving.get(key);
  }

  /** Remembers the connection that caused a uid's pending arrival or departure (the uidport event's context). */
  causedBy(key: string, conn: ServerConn): void {
    this.portCtx.set(key, conn);
  }

  /** Starts a sync, or asks for one more after the one under way (its reads may predate what just happened). */
  scheduleSync(): void {
    if (this.a.closed()) return;
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
    const a = this.a;
    if (!a.up() || a.sub.status !== 'ready') return;
    const initial = !this.started;
    try {
      if (this.sharded === undefined) {
        if (a.o.sharded === 'auto') {
          const info = await a.cmd.info('server');
          this.sharded = Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0) >= 7;
        } else this.sharded = a.o.sharded;
      }
      await (this.sharded ? a.sub.ssubscribe(this.direct) : a.sub.subscribe(this.direct));
      // The bus carries every node's presence deltas and broadcasts: one channel, so it stays on plain
      // pub/sub (sharding one channel buys nothing).
      await a.sub.subscribe(this.bus);
      // Every stream delivered here reads what it may have missed while a link was down (ioredis resubscribed
      // the uid channels before the subscribe above was answered).
      // Streams that missed pushes this node could not log start over first (before any append or catch-up).
      await a.restartUnlogged();
      if (!initial) a.recheck();
      await this.beat();
      this.needSync = false;
      // Registrations are quiet (no uidport event) unless the cluster said goodbye to these users: this node was
      // swept, a listing change could not be written, or this is the first start (a previous life's leftovers).
      const loud = this.loud || initial;
      this.loud = false;
      const p = a.presence()!;
      const stale = new Set(await a.cmd.smembers(`${this.p}n:${a.o.nodeId}`));
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
      a.synced();
    } catch (e) {
      this.needSync = true; // the next tick tries again
      a.fail(initial ? 'connect' : 'restore', e);
    }
  }

  /** Reads every uid hash into the replica (after subscribing; deltas that arrive meanwhile win over the read). */
  private async resync(): Promise<void> {
    const cluster = this.a.cluster;
    const cmd = this.a.cmd;
    const token = cluster.beginRead();
    try {
      const state = new Map<string, Map<string, number>>();
      const plen = `${this.p}u:`.length;
      let cursor = '0';
      do {
        const [next, keys] = await cmd.scan(cursor, 'MATCH', `${this.p}u:*`, 'COUNT', 500);
        cursor = next;
        const pipe = cmd.pipeline();
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
      cluster.replace(state, token);
    } catch (e) {
      cluster.abandon(token);
      throw e;
    }
  }

  /** Heartbeat, dead-node sweep and round-trip time; every `heartbeatMs`. Starts a sync when one is due. */
  async tick(): Promise<void> {
    const a = this.a;
    if (!a.up()) return;
    try {
      await this.beat();
      const out = await this.scripts.chskSweep(`${this.p}nodes`, this.p, String(a.o.nodeTimeoutMs));
      await this.announceSweep(out, true);
    } catch (e) {
      a.fail('heartbeat', e);
    }
    if (this.needSync && this.started) this.scheduleSync();
  }

  /** Leaves at once (on close): this node's listings go, and the deltas are published. */
  async leave(): Promise<void> {
    const out = await this.scripts.chskSweep(`${this.p}nodes`, this.p, '0', this.a.o.nodeId);
    await this.announceSweep(out, false);
  }

  /**
   * One heartbeat. When it finds this node missing from Redis after the first sync (swept while alive, or
   * Redis lost its data without our links dropping), a sync is due; when a sweep left our tombstone, that sync's
   * registrations emit uidport events (the sweeper emitted the closes). The flags are set as the answer
   * arrives, so a sync that heartbeats after a tick's heartbeat sees them.
   */
  private async beat(): Promise<void> {
    const { o, counts } = this.a;
    const t0 = Date.now(); // scheduler-exempt: a wall-clock round trip, not a timer
    const [live, added, swept] = await this.scripts.chskHeartbeat(`${this.p}nodes`, `${this.p}gone:${o.nodeId}`, o.nodeId, String(o.nodeTimeoutMs));
    counts.rttMs = Date.now() - t0; // scheduler-exempt
    counts.nodes = Number(live);
    if (Number(swept) === 1) this.loud = true;
    if (Number(added) === 1 && this.started) this.needSync = true;
  }

  /** Publishes the deltas of swept nodes and emits uidport-close for the uids they leave empty. */
  private async announceSweep(out: (string | number)[], ports: boolean): Promise<void> {
    for (let i = 0; i + 2 < out.length; i += 3) {
      const node = String(out[i]);
      const key = String(out[i + 1]);
      const left = Number(out[i + 2]);
      this.a.cluster.apply(node, key, 0);
      this.a.publish(this.bus, encodeBus(['p', node, key, 0]));
      if (ports && left === 0) this.a.host()?.uidPort(key, false, undefined);
    }
  }

  /** Writes this node's listing of `key` and publishes the delta; emits uidport events on 0 ↔ n. */
  writeListing(key: string, bits: number, quiet: boolean): void {
    const a = this.a;
    const nodeId = a.o.nodeId;
    a.cluster.apply(nodeId, key, bits);
    if (!a.up()) {
      this.dirty.add(key);
      return a.fail('presence', new Error('Redis is unreachable'));
    }
    const ws = (bits & WS) !== 0 ? '1' : '0';
    const ajax = (bits & AJAX) !== 0 ? '1' : '0';
    const done: Promise<void> = this.scripts.chskListed(`${this.p}u:${key}`, `${this.p}n:${nodeId}`, nodeId, key, ws, ajax).then(
      ([before, after]) => {
        if (quiet || a.closed()) return;
        // The connection that caused it; for a registration made again (after a sweep), one that is open here.
        const ctx = this.portCtx.get(key) ?? (after > 0 ? first(a.connectionsOf(key)) : undefined);
        if (before === 0 && after > 0) this.portCtx.delete(key), a.host()?.uidPort(key, true, ctx);
        else if (before > 0 && after === 0) this.portCtx.delete(key), a.host()?.uidPort(key, false, ctx);
      },
      (e: unknown) => void (this.dirty.add(key), a.fail('presence', e)),
    );
    if (bits !== 0) {
      // Connections of `key` opened until it settles wait for it (see RedisAdapter.add).
      this.arriving.set(key, done);
      void done.then(() => this.arriving.get(key) === done && this.arriving.delete(key));
    }
    a.publish(this.bus, encodeBus(['p', nodeId, key, bits]));
  }

  /** Writes this node's connection count of `key` (for `maxConnectionsPerUid`). */
  writeCount(key: string): void {
    const a = this.a;
    if (!a.up()) return;
    const n = a.countOf(key);
    const k = `${this.p}c:${key}`;
    (n > 0 ? a.cmd.hset(k, a.o.nodeId, n) : a.cmd.hdel(k, a.o.nodeId)).catch((e: unknown) => a.fail('count', e));
  }
}

function first<T>(items: Iterable<T>): T | undefined {
  for (const x of items) return x;
  return undefined;
}
