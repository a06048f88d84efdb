import type { Redis } from 'ioredis';
import { CloseCode } from '../protocol/codes';
import type { EventMessage } from '../protocol/messages';
import type { AdapterHost } from '../server/adapter/ServerAdapter';
import type { ReplayRead, StreamPosition } from '../server/adapter/ReplayLog';
import { streamOf } from '../server/adapter/streams';
import { decodeBus, encodeBus } from './busCodec';
import { RedisReplayLog } from './RedisReplayLog';

/** What {@link LogDelivery} needs of its adapter. */
export interface LogDeliveryLinks {
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly prefix: string;
  readonly nodeId: string;
  /** The bus every node subscribes to (broadcasts travel on it). */
  readonly bus: string;
  /** Whether uid channels use sharded pub/sub (known once the adapter has synced). */
  sharded(): boolean;
  /** Both links are up and the adapter open. */
  up(): boolean;
  host(): AdapterHost | undefined;
  /** Uid keys with local connections, and whether one has some. */
  localKeys(): Iterable<string>;
  hasLocal(key: string): boolean;
  fail(where: string, e: unknown): void;
  readonly counts: { remoteSent: number; remoteReceived: number; remoteDropped: number };
}

/** One stream's delivery state on this node: the last offset delivered here, and entries held during a catch-up. */
interface Feed {
  last?: StreamPosition;
  held?: Entry[];
}

interface Entry {
  readonly offset: number;
  readonly epoch: string;
  readonly msg: EventMessage;
  readonly flush: boolean;
}

/** How many unlogged streams a node remembers one by one; past that it restarts every stream in Redis. */
export const MAX_UNLOGGED_STREAMS = 10_000;

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * The replay log as the core reads it when a connection opens: a read of a uid's stream waits until this node
 * is subscribed to that uid's channel (Redis confirmed it), so every entry appended after the read reaches the
 * node live and every one before is in the read; what it answers is the position deliveries continue from.
 */
export class GatedReplayLog extends RedisReplayLog {
  /** Set by {@link LogDelivery}: what a read of `stream` waits for, and what it saw. */
  gate: (stream: string) => Promise<void> | undefined = () => undefined;
  seen: (stream: string, position: StreamPosition) => void = () => undefined;

  override async readSince(stream: string, since: StreamPosition, max = Infinity): Promise<ReplayRead> {
    await this.gate(stream);
    const r = await super.readSince(stream, since, max);
    this.seen(stream, r.position);
    return r;
  }

  override async position(stream: string): Promise<StreamPosition> {
    await this.gate(stream);
    const p = await super.position(stream);
    this.seen(stream, p);
    return p;
  }

  /** A read that neither waits nor reports (this node's own catch-up). */
  readRaw(stream: string, since: StreamPosition): Promise<ReplayRead> {
    return super.readSince(stream, since);
  }
}

/**
 * Resumable delivery across the cluster (`ServerAdapter.resumable`): a push is appended to its uid's log and
 * published on the uid's channel `<prefix>uc:<uid>` by one Lua script, a broadcast to log `b` and the bus; a node
 * subscribes to a uid's channel while it has connections of that uid, and delivers to them only what comes back
 * from Redis, its own pushes included. So every node delivers a stream's entries in offset order, each with its
 * `seq`, whichever node appended them. A node that finds a gap (its subscriber link dropped, say) reads the
 * missing entries from the log before delivering more (a log that started over, a new epoch after Redis lost its
 * data, is delivered from its first entry); one that cannot (trimmed past what it delivered) closes its
 * connections of that stream (1013) so their clients reconnect and resume.
 */
export class LogDelivery {
  private readonly subs = new Map<string, Promise<void>>();
  private readonly feeds = new Map<string, Feed>();
  /** The last append made (settled either way). */
  private lastAppend: Promise<unknown> = Promise.resolve();
  /** Streams that got a push or broadcast this node delivered (or dropped) without logging it. */
  private readonly unlogged = new Set<string>();
  /** More than {@link MAX_UNLOGGED_STREAMS} of them: every stream is restarted. */
  private unloggedAll = false;
  /** Restarting the unlogged streams: every append waits for it. */
  private restarting: Promise<void> | undefined;

  constructor(
    private readonly l: LogDeliveryLinks,
    private readonly log: GatedReplayLog,
  ) {
    log.gate = (stream) => this.gate(stream);
    log.seen = (stream, p) => {
      const f = this.feed(stream);
      f.last ??= { ...p };
    };
  }

  private channelOf(key: string): string {
    return `${this.l.prefix}uc:${key}`;
  }

  /** A connection of `key` opened here: subscribe to its channel (once per uid). */
  opened(key: string): void {
    if (this.subs.has(key)) return;
    const ch = this.channelOf(key);
    const p = (this.l.sharded() ? this.l.sub.ssubscribe(ch) : this.l.sub.subscribe(ch)).then(
      () => undefined,
      (e: unknown) => this.l.fail('subscribe', e),
    );
    this.subs.set(key, p);
  }

  /** The last connection of `key` here closed: stop listening to its channel. */
  closed(key: string): void {
    if (!this.subs.delete(key)) return;
    this.feeds.delete(streamOf.uid(key));
    if (this.l.sub.status !== 'ready') return;
    const ch = this.channelOf(key);
    (this.l.sharded() ? this.l.sub.sunsubscribe(ch) : this.l.sub.unsubscribe(ch)).catch((e: unknown) => this.l.fail('unsubscribe', e));
  }

  /**
   * A read of a uid's stream waits for that uid's subscription (not while Redis is down: the read fails fast),
   * and every read waits for a restart of unlogged streams in flight.
   */
  private gate(stream: string): Promise<void> | undefined {
    const restarting = this.restarting;
    if (!stream.startsWith('u:') || this.l.sub.status !== 'ready') return restarting;
    const sub = this.subs.get(stream.slice(2));
    return restarting && sub ? Promise.all([restarting, sub]).then(() => undefined) : (restarting ?? sub);
  }

  /** Appends and publishes a push; false when Redis is down (the caller delivers locally without an offset). */
  push(key: string, msg: EventMessage, flush: boolean): boolean {
    return this.append(streamOf.uid(key), key, msg, flush, this.l.sharded() ? 'spublish' : 'publish', this.channelOf(key));
  }

  /** Appends and publishes a broadcast on the bus; false when Redis is down. */
  broadcast(msg: EventMessage, flush: boolean): boolean {
    return this.append(streamOf.broadcast, undefined, msg, flush, 'publish', this.l.bus);
  }

  private append(stream: string, key: string | undefined, msg: EventMessage, flush: boolean, command: 'publish' | 'spublish', channel: string): boolean {
    const host = this.l.host();
    if (!host || !this.l.up()) {
      this.missed(stream);
      return false;
    }
    const before = this.restartUnlogged();
    const frame = host.packer.pack(msg);
    const bin = typeof frame === 'string' ? 0 : 1;
    const f = flush ? 1 : 0;
    const payload = key === undefined ? encodeBus(['b', this.l.nodeId, bin, f], frame) : encodeBus(['e', this.l.nodeId, key, bin, f], frame);
    const size = typeof frame === 'string' ? frame.length : frame.byteLength;
    this.l.counts.remoteSent++;
    this.lastAppend = before.then(() => this.log.append(stream, msg, size, { command, payload, channels: [channel] })).catch((e: unknown) => {
      // Not appended (or not known to be): deliver here without an offset rather than not at all, and start the
      // stream over once Redis is back (no resume across this push may say `recovered: true`).
      this.missed(stream);
      this.l.counts.remoteDropped++;
      this.l.fail('append', e);
      host.deliver(key, msg, flush);
    });
    return true;
  }

  /** `stream` got a push this node could not log: remember it (bounded) for {@link restartUnlogged}. */
  private missed(stream: string): void {
    if (this.unloggedAll) return;
    this.unlogged.add(stream);
    if (this.unlogged.size > MAX_UNLOGGED_STREAMS) {
      this.unloggedAll = true;
      this.unlogged.clear();
    }
  }

  /**
   * Once Redis is back, and before any push is appended again: every stream that missed a push here starts over
   * with a new epoch (positions in the old one are void, so every client's next resume of it says
   * `recovered: false`), and the restart is published so the nodes delivering it resync their clients. Called
   * by the adapter when its links are back, and by every append; resolves when done (a failure keeps the
   * streams for the next try).
   */
  restartUnlogged(): Promise<void> {
    if (this.restarting) return this.restarting;
    if (!this.unloggedAll && this.unlogged.size === 0) return Promise.resolve();
    if (!this.l.up()) return Promise.resolve();
    const all = this.unloggedAll;
    const streams = [...this.unlogged];
    this.unloggedAll = false;
    this.unlogged.clear();
    const run = async (): Promise<void> => {
      const todo = all ? await this.allStreams() : streams;
      for (const stream of todo) await this.restartOne(stream);
    };
    const p = run().then(
      () => undefined,
      (e: unknown) => {
        if (all) this.unloggedAll = true;
        else for (const s of streams) this.missed(s);
        this.l.fail('restart', e);
      },
    );
    this.restarting = p.finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  private restartOne(stream: string): Promise<string> {
    const key = keyOf(stream);
    const sharded = key !== undefined && this.l.sharded();
    const payload = key === undefined ? encodeBus(['b', this.l.nodeId, 0]) : encodeBus(['e', this.l.nodeId, key, 0]);
    const channel = key === undefined ? this.l.bus : this.channelOf(key);
    return this.log.restart(stream, { command: sharded ? 'spublish' : 'publish', payload, channels: [channel] });
  }

  /** Every log stream in Redis (uids and broadcasts; not topics), for a restart of all of them. */
  private async allStreams(): Promise<string[]> {
    const out = new Set<string>([streamOf.broadcast]);
    const meta = `${this.l.prefix}rm:`;
    let cursor = '0';
    do {
      const [next, keys] = await this.l.cmd.scan(cursor, 'MATCH', `${meta}u:*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) out.add(k.slice(meta.length));
    } while (cursor !== '0');
    return [...out];
  }

  /**
   * Resolves once every push and broadcast appended so far has come back from Redis to this node: the appends
   * answered, then a PING on the subscriber link (Redis wrote the published entries to it before that answer).
   */
  async delivered(): Promise<void> {
    await this.lastAppend;
    if (this.l.sub.status === 'ready') await this.l.sub.ping().catch(() => undefined);
  }

  /** A message from a log's channel (`<offset> <epoch>\n` + bus message); false when `raw` is not one. */
  onMessage(raw: Buffer): boolean {
    if (raw.length === 0 || raw[0]! < DIGIT_0 || raw[0]! > DIGIT_9) return false;
    const nl = raw.indexOf(0x0a);
    const sp = raw.indexOf(0x20);
    const host = this.l.host();
    if (nl < 0 || sp < 0 || sp > nl || !host) return true;
    const offset = Number(raw.subarray(0, sp).toString());
    const epoch = raw.subarray(sp + 1, nl).toString();
    const m = decodeBus(raw.subarray(nl + 1));
    if (!m || !Number.isSafeInteger(offset) || (m.header[0] !== 'e' && m.header[0] !== 'b')) return true;
    if (offset === 0) {
      const k = m.header[0] === 'e' ? m.header[2] : undefined;
      if (k === undefined || this.subs.has(k)) this.restarted(k === undefined ? streamOf.broadcast : streamOf.uid(k), k, epoch);
      return true;
    }
    let msg: EventMessage;
    try {
      msg = host.packer.unpack(m.frame!) as EventMessage;
    } catch (e) {
      this.l.fail('decode', e);
      return true;
    }
    const h = m.header;
    if (h[1] !== this.l.nodeId) this.l.counts.remoteReceived++;
    const key = h[0] === 'e' ? h[2] : undefined;
    const flush = (h[0] === 'e' ? h[4] : h[3]) === 1;
    if (key !== undefined && !this.subs.has(key)) return true; // unsubscribed meanwhile
    this.accept(key === undefined ? streamOf.broadcast : streamOf.uid(key), key, { offset, epoch, msg, flush });
    return true;
  }

  /** After a link came back: every stream delivered here catches up from its log (entries may have been missed). */
  recheck(): void {
    for (const [stream, f] of this.feeds) {
      if (f.last && !f.held) this.catchUp(stream, keyOf(stream), f, []);
    }
  }

  /**
   * A node started `stream` over (it missed pushes it could not log): the clients delivered here may have missed
   * them too, so they reconnect and resume, which tells them `recovered: false`.
   */
  private restarted(stream: string, key: string | undefined, epoch: string): void {
    const f = this.feeds.get(stream);
    if (f?.last?.epoch === epoch) return;
    this.feeds.delete(stream); // a catch-up in flight for the old epoch drops its result
    this.lost(stream, key, this.feed(stream), { offset: 0, epoch });
  }

  private feed(stream: string): Feed {
    let f = this.feeds.get(stream);
    if (!f) this.feeds.set(stream, (f = {}));
    return f;
  }

  private accept(stream: string, key: string | undefined, e: Entry): void {
    const f = this.feed(stream);
    if (f.held) return void f.held.push(e);
    const last = f.last;
    if (!last || (e.epoch === last.epoch && e.offset === last.offset + 1)) return this.deliver(f, key, e);
    if (e.epoch === last.epoch && e.offset <= last.offset) return; // delivered already (the read covered it)
    if (e.epoch !== last.epoch) {
      // The log started over (Redis lost it): deliver the new epoch from its first entry, so clients see seq 1
      // and know their positions are void (the client's rule for a stream that started over).
      f.last = { offset: 0, epoch: e.epoch };
      if (e.offset === 1) return this.deliver(f, key, e);
    }
    this.catchUp(stream, key, f, [e]);
  }

  private deliver(f: Feed, key: string | undefined, e: Entry): void {
    f.last = { offset: e.offset, epoch: e.epoch };
    const seq = { ...e.msg, seq: e.offset, ...(key === undefined ? { st: 'b' as const } : {}) };
    this.l.host()?.deliver(key, seq, e.flush);
  }

  /** Reads what this node missed of `stream` after its last delivery, delivers it, then what was held meanwhile. */
  private catchUp(stream: string, key: string | undefined, f: Feed, held: Entry[]): void {
    f.held = held;
    const since = f.last!;
    this.log.readRaw(stream, since).then(
      (r) => {
        if (this.feeds.get(stream) !== f) return;
        if (!r.ok && r.reason === 'epoch' && r.position.epoch !== since.epoch) {
          // A new epoch: read it from its start.
          f.last = { offset: 0, epoch: r.position.epoch };
          return this.catchUp(stream, key, f, f.held ?? []);
        }
        const rest = f.held ?? [];
        f.held = undefined;
        if (!r.ok) return this.lost(stream, key, f, r.position);
        for (const x of r.entries) if (x.offset > f.last!.offset) this.deliver(f, key, { offset: x.offset, epoch: r.position.epoch, msg: x.msg, flush: false });
        for (const x of rest) this.accept(stream, key, x);
      },
      (err: unknown) => {
        // Redis went away again: keep what is held; the next sync rechecks.
        this.l.fail('catch-up', err);
        const rest = f.held ?? [];
        f.held = undefined;
        for (const x of rest) if (x.epoch === f.last?.epoch && x.offset === f.last.offset + 1) this.deliver(f, key, x);
      },
    );
  }

  /**
   * The stream cannot be delivered here without a hole (its log no longer holds what this node missed): its
   * clients here reconnect and resume, which tells them (`recovered: false`) instead of a silent gap.
   */
  private lost(stream: string, key: string | undefined, f: Feed, at: StreamPosition): void {
    f.last = { ...at };
    const host = this.l.host();
    if (!host) return;
    const reason = `the replay log of ${stream} lost entries: reconnect to resume`;
    if (key !== undefined) host.closeLocal(key, CloseCode.TryAgainLater, reason);
    else for (const k of [...this.l.localKeys()]) host.closeLocal(k, CloseCode.TryAgainLater, reason);
  }

  close(): void {
    this.subs.clear();
    this.feeds.clear();
  }
}

const keyOf = (stream: string): string | undefined => (stream.startsWith('u:') ? stream.slice(2) : undefined);
