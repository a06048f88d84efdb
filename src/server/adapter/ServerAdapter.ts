import type { BehaviorSubject, SchedulerLike } from 'rxjs';
import type { Packer } from '../../packers/Packer';
import type { TransportType } from '../../protocol/events';
import type { EventMessage } from '../../protocol/messages';
import type { ServerConn } from '../ServerConn';
import type { ServerErrorReport } from '../ServerErrorReport';
import type { DedupeStore } from './Dedupe';
import type { ReplayLog } from './ReplayLog';
import type { ConnectedUids } from './UidsView';
import type { TopicRegistry } from '../TopicRegistry';
import type { AjaxDirectory, AjaxRelayStats } from '../ajax/AjaxDirectory';

/**
 * What the server core gives its adapter: this node's side of the work. The adapter calls it for what must
 * happen here (deliver a push to local connections, close local connections, report a uid arriving in or
 * leaving the cluster); the core never asks which adapter it has.
 */
export interface AdapterHost {
  readonly scheduler: SchedulerLike;
  /** Grace periods per transport (`wsGraceMs`, `ajaxGraceMs`). */
  readonly graceMs: Readonly<Record<TransportType, number>>;
  /** The server's packer (a cluster adapter may carry packed events between nodes with it). */
  readonly packer: Packer;
  /**
   * Queues a push for this node's connections of uid key `key` (every local connection when undefined)
   * through the batcher; answers how many connections it is queued for.
   */
  deliver(key: string | undefined, msg: EventMessage, flush: boolean): number;
  /** Closes this node's connections of `key` with a close code and reason; answers how many. */
  closeLocal(key: string, code: number, reason: string): number;
  /**
   * A uid key arrived in the cluster (`open`) or left it after its grace period: the core emits
   * `chsk/uidport-open` / `-close` on `events$`. Called once per cluster, on one node; `conn` is the connection
   * that caused it when it is on this node (its request is the event's `req`), undefined otherwise (a node
   * that died: the event then has an empty client id and request).
   */
  uidPort(key: string, open: boolean, conn: ServerConn | undefined): void;
  /** Reports a problem on `errors$`. */
  report(r: ServerErrorReport): void;
  /**
   * False when the server's `resume` option is `false`: the core never reads the replay logs, so the adapter
   * need not write them (its pushes may then go without `seq`).
   */
  readonly resume: boolean;
}

/** Counters an adapter keeps for `stats$` (totals since start; the core turns them into rates). */
export interface AdapterStats {
  /** Nodes the adapter knows alive, itself included (1 for the memory adapter). */
  readonly nodes: number;
  /** Pushes, broadcasts and topic publishes (and removals) handed to other nodes. */
  readonly remoteSent: number;
  /** Pushes, broadcasts and topic publishes received from other nodes. */
  readonly remoteReceived: number;
  /** Pushes, broadcasts and topic publishes that could not reach other nodes (the bus was down): counted, never silent. */
  readonly remoteDropped: number;
  /** Adapter failures (each is also reported on `errors$`, the first of an outage at least). */
  readonly errors: number;
  /** Round-trip time to the shared store, in ms, last measured (null: none, or not applicable). */
  readonly rttMs: number | null;
  /** Ajax requests relayed between nodes (an adapter with an `ajax` directory that relays; absent otherwise). */
  readonly ajaxRelay?: AjaxRelayStats;
}

/**
 * The seam between the server core and where connections, presence and delivery state live. The core hands
 * the adapter every push (to a uid), broadcast and (with topics) publish; the adapter decides what reaches
 * local connections (through {@link AdapterHost.deliver}) and what travels to other nodes. Presence
 * (`connectedUids$`, uidport events once per cluster with the grace period), the cluster-wide connection
 * count behind `maxConnectionsPerUid`, `disconnect(uid)` everywhere, the replay logs and the message-id
 * dedupe are adapter services. `MemoryAdapter` is one process; `createRedisAdapter` (`sente-rx/redis`) a
 * cluster. An adapter serves one server: the core calls `start` once.
 *
 * Calls that a cluster answers only after a round trip return `T | Promise<T>`; the push path does not wait
 * for other nodes (what it answers counts local connections and the nodes the push was handed to).
 */
export interface ServerAdapter {
  /** Binds the adapter to a server core; called once, before any other call. */
  start(host: AdapterHost): void;
  /**
   * A connection opened on this node. An adapter that decides a uid's arrival asynchronously (a cluster: one
   * round trip) answers a Promise that settles once the decision is made and its `uidPort` call, if any, is done;
   * the core holds the connection's incoming frames until then, so `chsk/uidport-open` is on `events$` before
   * any event of the connections that arrived with it, on every adapter.
   */
  add(conn: ServerConn): void | Promise<void>;
  /** A connection on this node closed. */
  remove(conn: ServerConn): void;
  /** A connection on this node moved from transport `from` to its current one (Ajax → WebSocket upgrade). */
  switched(conn: ServerConn, from: TransportType): void;
  /** Local connections of a uid key (`NIL_UID` for users without a uid). */
  connectionsOf(key: string): Iterable<ServerConn>;
  /** Every local connection. */
  allConnections(): Iterable<ServerConn>;
  /** Number of local connections of a uid key on one transport. */
  count(key: string, transport: TransportType): number;
  /** Open connections of `uid` in the whole cluster (for `maxConnectionsPerUid`). */
  connectionCount(uid: string): number | Promise<number>;
  /**
   * True when the adapter assigns offsets: every push and broadcast it delivers (through
   * {@link AdapterHost.deliver}, here and on other nodes) carries `seq`, its offset in its stream, and was
   * appended to {@link replayLog} under that offset before any connection could see it; a broadcast also
   * carries `st: 'b'`. Streams: `u:<uid key>` (see `streamOf`), `b` for broadcasts. Only then does the core
   * tell clients their positions (`hs.rs`) and replay what they missed when they come back. Read once per
   * connection, when it opens.
   */
  readonly resumable: boolean;
  /**
   * Pushes to every connection of uid key `key`, on any node; answers local connections + nodes handed to.
   * A resumable adapter appends it to stream `u:<key>` first and delivers it with `seq` (see {@link resumable}).
   */
  push(key: string, msg: EventMessage, flush: boolean): number;
  /**
   * Pushes to every connection on every node; answers local connections + nodes handed to. A resumable
   * adapter appends it to stream `b` once and delivers it with `seq` and `st: 'b'` (still packed once for all).
   */
  broadcast(msg: EventMessage, flush: boolean): number;
  /** Closes every connection of uid key `key` on every node with `code` and `reason`. */
  disconnect(key: string, code: number, reason: string): void | Promise<void>;
  /** Connected uid keys of the whole cluster, with grace periods applied. */
  readonly connectedUids$: BehaviorSubject<ConnectedUids>;
  /** Per-stream replay logs (offsets and epochs), for resume. */
  readonly replayLog: ReplayLog;
  /** Message-id dedupe per (uid, client id). */
  readonly dedupe: DedupeStore;
  /**
   * The epoch of {@link dedupe}'s record (`hs.dd`, read once per connection as it opens): a random id that
   * stays the same exactly as long as the record does, on every node that shares it (a new process for an
   * in-memory record, a flushed Redis for a shared one gets a new one). Clients resend unanswered messages
   * only to the epoch they wrote them under. Optional: without it the handshake says `dd: 1` (no epoch) and
   * clients resend only when the broadcasts' log epoch proves continuity.
   */
  dedupeEpoch?(): string | Promise<string>;
  /**
   * Topic membership and presence (`publish`, `topicUids$`). Optional: without it the core keeps topics in this
   * process (`LocalTopics`), which is the whole story for `MemoryAdapter`; a cluster adapter provides one that
   * reaches members on every node.
   */
  readonly topics?: TopicRegistry;
  /**
   * Where Ajax connections live: their tokens, and how a poll or POST that lands on another node reaches the
   * connection's home node. Optional: without it every connection is on this process (`LocalAjaxDirectory`,
   * which is the whole story for `MemoryAdapter`); a cluster adapter provides one so a load balancer needs
   * nothing sticky.
   */
  readonly ajax?: AjaxDirectory;
  /** Local connections per transport. */
  readonly perTransport: Readonly<Record<TransportType, number>>;
  /** Counters for `stats$`. */
  stats(): AdapterStats;
  /** Ends timers and subscriptions (and tells other nodes this one left); `connectedUids$` completes. */
  close(): void | Promise<void>;
}
