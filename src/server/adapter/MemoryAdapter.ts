import { asyncScheduler, type BehaviorSubject } from 'rxjs';
import type { TransportType } from '../../protocol/events';
import type { EventMessage } from '../../protocol/messages';
import { ConfigError } from '../../errors/ConfigError';
import type { ServerConn } from '../ServerConn';
import type { DedupeLimits } from './Dedupe';
import { LocalConnections } from './LocalConnections';
import { MemoryDedupe } from './MemoryDedupe';
import { MemoryReplayLog } from './MemoryReplayLog';
import { Presence } from './Presence';
import type { ReplayLimits } from './ReplayLog';
import type { AdapterHost, AdapterStats, ServerAdapter } from './ServerAdapter';
import { UidsView, type ConnectedUids } from './UidsView';
import { streamOf } from './streams';
import { approxBytes } from './approxBytes';
import { newDedupeEpoch } from './dedupeEpoch';


/** Options of {@link MemoryAdapter}. */
export interface MemoryAdapterOptions {
  /**
   * Bounds of each replay log, or `false` for no logs (pushes then carry no offsets and clients cannot resume).
   * The server passes its `resume` option here when it makes the adapter itself.
   * @default { maxEntries: 1000, maxBytes: 1_048_576, maxAgeMs: 120_000 }
   */
  replay?: Partial<ReplayLimits> | false;
  /** Bounds of the message-id dedupe window per (uid, client id). @default { maxEntries: 1000, windowMs: 300_000 } */
  dedupe?: Partial<DedupeLimits>;
}

/**
 * The default adapter: one process is the whole cluster. Pushes go straight to the local batcher (no copy,
 * no round trip: the single-process push path pays one call), presence is this process's, and the replay
 * logs and dedupe window live in memory.
 */
export class MemoryAdapter extends LocalConnections implements ServerAdapter {
  private host: AdapterHost | undefined;
  private readonly view = new UidsView();
  private presence: Presence | undefined;
  readonly connectedUids$: BehaviorSubject<ConnectedUids> = this.view.connectedUids$;
  readonly replayLog: MemoryReplayLog;
  readonly dedupe: MemoryDedupe;
  private readonly logs: boolean;
  /** The log this adapter appends to (`replayLog` is what it serves; a subclass may put a view in front of it). */
  private readonly log: MemoryReplayLog;
  /** False when `maxBytes` is unbounded: a push's size is then not estimated. */
  private readonly sized: boolean;
  /** Stream names of uid keys pushed to (`u:<key>`), so a push builds and hashes no new string (bounded). */
  private readonly uidStreams = new Map<string, string>();
  /** This adapter's dedupe record lives and dies with it: one epoch per instance (per process). */
  private readonly ddEpoch = newDedupeEpoch();

  constructor(options: MemoryAdapterOptions = {}) {
    super();
    const now = (): number => (this.host?.scheduler ?? asyncScheduler).now();
    this.logs = options.replay !== false;
    this.sized = options.replay !== false && options.replay?.maxBytes !== Infinity;
    this.replayLog = this.log = new MemoryReplayLog(now, options.replay || {});
    this.dedupe = new MemoryDedupe(now, options.dedupe);
  }

  start(host: AdapterHost): void {
    if (this.host) throw new ConfigError('an adapter serves one server: create one per createChannelSocketServer');
    this.host = host;
    this.view.coalesceOn(host.scheduler);
    this.presence = new Presence(host.scheduler, host.graceMs, {
      listed: (key, ws, ajax) => {
        if (this.view.set(key, ws, ajax)) this.view.publish();
      },
      port: (key, open, conn) => host.uidPort(key, open, conn),
    });
  }

  override add(conn: ServerConn): void {
    super.add(conn);
    this.presence?.opened(conn);
  }

  override remove(conn: ServerConn): void {
    super.remove(conn);
    this.presence?.closed(conn, this.count(conn.key, conn.transport));
  }

  override switched(conn: ServerConn, from: TransportType): void {
    super.switched(conn, from);
    if (from !== conn.transport) this.presence?.moved(conn.key, from, conn.transport, this.count(conn.key, from));
  }

  /** The epoch of the in-memory dedupe record: new with every adapter, so a restarted server never claims an old one. */
  dedupeEpoch(): string {
    return this.ddEpoch;
  }

  connectionCount(uid: string): number {
    return this.countOf(uid);
  }

  /** Offsets on every push and broadcast, unless `replay: false` here or `resume: false` on the server. */
  get resumable(): boolean {
    return this.logs && (this.host?.resume ?? true);
  }

  push(key: string, msg: EventMessage, flush: boolean): number {
    const host = this.host!;
    if (!this.resumable) return host.deliver(key, msg, flush);
    const offset = this.log.appendOffset(this.uidStream(key), msg, this.sized ? approxBytes(msg) : 0);
    // A literal rather than a spread: a push message is `t` and `ev` (a spread cost ~20x more on the push path).
    return host.deliver(key, { t: msg.t, ev: msg.ev, seq: offset }, flush);
  }

  broadcast(msg: EventMessage, flush: boolean): number {
    const host = this.host!;
    if (!this.resumable) return host.deliver(undefined, msg, flush);
    const offset = this.log.appendOffset(streamOf.broadcast, msg, this.sized ? approxBytes(msg) : 0);
    return host.deliver(undefined, { t: msg.t, ev: msg.ev, seq: offset, st: 'b' }, flush);
  }

  private uidStream(key: string): string {
    let stream = this.uidStreams.get(key);
    if (stream === undefined) {
      if (this.uidStreams.size >= 4096) this.uidStreams.clear();
      this.uidStreams.set(key, (stream = streamOf.uid(key)));
    }
    return stream;
  }

  disconnect(key: string, code: number, reason: string): void {
    this.host!.closeLocal(key, code, reason);
  }

  stats(): AdapterStats {
    return { nodes: 1, remoteSent: 0, remoteReceived: 0, remoteDropped: 0, errors: 0, rttMs: null };
  }

  close(): void {
    this.presence?.close();
    this.view.close();
  }
}
