import { ErrorCode } from '../protocol/codes';
import { MessageType, type ServerMessage, type TopicEventMessage } from '../protocol/messages';
import type { ReplayLog, ReplayRead, StreamPosition } from './adapter/ReplayLog';
import { streamOf } from './adapter/streams';
import type { ServerConn } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';

/** Replayed events per frame (a frame is one unit of an Ajax queue, and one `b` message). */
const REPLAY_FRAME = 100;

/** A join reading its topic's log: what is published to the topic meanwhile waits for it here. */
interface Hold {
  readonly conn: ServerConn;
  readonly held: TopicEventMessage[];
}

/** What {@link TopicReplay} needs from the core. */
export interface TopicReplayHost {
  /** Writes a message to one connection (after its pending acks and pushes). */
  write(conn: ServerConn, m: ServerMessage): void;
  report(r: ServerErrorReport): void;
}

/**
 * Opens accepted topic joins on a server that keeps topic logs (streams `t:<topic>`, offsets in `tm.seq`). The
 * connection is already a member when a join opens; until its answer is written the topic's new events skip it
 * (see {@link members}) and wait in a hold. The log is read (`readSince` the join's `o`, or the position), then
 * the connection gets, in this order: `ta` with `rs` (and `rc` when `o` was presented), the replayed events,
 * the held ones past the position. Nothing is lost in between and nothing overtakes the replay; a copy the
 * batcher still writes after the answer (queued during the hold) has a `seq` the client has, and it drops it.
 */
export class TopicReplay {
  private readonly holds = new Map<string, Set<Hold>>();

  constructor(
    private readonly log: ReplayLog,
    private readonly host: TopicReplayHost,
  ) {}

  /** The members of `topic` a new event goes to now: all but the connections whose join is opening. */
  members(topic: string, all: Iterable<ServerConn>): Iterable<ServerConn> {
    const hs = this.holds.get(topic);
    if (!hs) return all;
    const opening = new Set<ServerConn>();
    for (const h of hs) opening.add(h.conn);
    return filtered(all, opening);
  }

  /**
   * An event of `msg.tp` is being delivered on this node: each opening join of the topic holds it. Answers how
   * many connections hold it (they get it after their answer).
   */
  published(msg: TopicEventMessage): number {
    const hs = this.holds.get(msg.tp);
    if (!hs) return 0;
    const conns = new Set<ServerConn>();
    for (const h of hs) h.held.push(msg), conns.add(h.conn);
    return conns.size;
  }

  /**
   * Opens join `tid` of `conn` to `topic` from `since` (the client's `o`), or from the stream's current
   * position. `valid()` says whether the join still stands when the log answers (left or closed: nothing is
   * written). A log that fails answers `ta` without `rs` (and `rc.ok` false): the client starts over.
   */
  open(conn: ServerConn, tid: number, topic: string, since: StreamPosition | undefined, valid: () => boolean): void {
    const hold: Hold = { conn, held: [] };
    let hs = this.holds.get(topic);
    if (!hs) this.holds.set(topic, (hs = new Set()));
    hs.add(hold);
    const done = (r: ReplayRead | StreamPosition | undefined): void => {
      const set = this.holds.get(topic);
      if (set?.delete(hold) && set.size === 0) this.holds.delete(topic);
      if (valid()) this.answer(conn, tid, topic, since, r, hold.held);
    };
    const failed = (error: unknown): void => {
      this.host.report({ code: ErrorCode.AdapterError, message: `reading the log of topic "${topic}" failed`, clientId: conn.clientId, uid: conn.uid, error });
      done(undefined);
    };
    let read: ReplayRead | StreamPosition | Promise<ReplayRead | StreamPosition>;
    try {
      read = since ? this.log.readSince(streamOf.topic(topic), since) : this.log.position(streamOf.topic(topic));
    } catch (e) {
      return failed(e);
    }
    if (read instanceof Promise) read.then(done, failed);
    else done(read);
  }

  private answer(conn: ServerConn, tid: number, topic: string, since: StreamPosition | undefined, r: ReplayRead | StreamPosition | undefined, held: readonly TopicEventMessage[]): void {
    const write = (m: ServerMessage): void => this.host.write(conn, m);
    if (!r) {
      write({ t: MessageType.TopicJoined, tid, ...(since ? { rc: { ok: false, n: 0 } } : {}) });
      for (const m of held) write(m);
      return;
    }
    const position = 'ok' in r ? r.position : r;
    const replay: TopicEventMessage[] = [];
    if ('ok' in r && r.ok) {
      for (const e of r.entries) {
        const m = e.msg as unknown as TopicEventMessage; // topic streams hold topic events
        replay.push(m.seq === e.offset && m.tp === topic ? m : { t: MessageType.TopicEvent, tp: topic, ev: m.ev, seq: e.offset });
      }
    }
    write({ t: MessageType.TopicJoined, tid, rs: [position.offset, position.epoch], ...(since ? { rc: { ok: 'ok' in r && r.ok, n: replay.length } } : {}) });
    for (let i = 0; i < replay.length; i += REPLAY_FRAME) {
      const ms = replay.slice(i, i + REPLAY_FRAME);
      write(ms.length === 1 ? ms[0]! : { t: MessageType.Batch, ms });
    }
    for (const m of held) if (m.seq === undefined || m.seq > position.offset) write(m);
  }
}

function* filtered(all: Iterable<ServerConn>, skip: ReadonlySet<ServerConn>): Iterable<ServerConn> {
  for (const c of all) if (!skip.has(c)) yield c;
}
