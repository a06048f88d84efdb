import { Observable, Subject } from 'rxjs';
import { ChannelError } from '../errors/ChannelError';
import { ConfigError } from '../errors/ConfigError';
import { RemoteError } from '../errors/RemoteError';
import { TopicRefusedError } from '../errors/TopicRefusedError';
import { ErrorCode } from '../protocol/codes';
import { MessageType, type ClientMessage, type WireEvent } from '../protocol/messages';

/** What the topics need from the client core. */
export interface TopicsHost {
  /** True while a link is open and past its handshake. */
  ready(): boolean;
  /** Writes a control message on the current link (nothing without one). */
  write(m: ClientMessage): void;
}

/** What a rejoin of a topic recovered (`topicReopened$`). */
export interface TopicReopened {
  readonly topic: string;
  readonly params: unknown;
  /** Every event published while the client was away was replayed (the server keeps topic logs and had them all). */
  readonly recovered: boolean;
  /** How many events were replayed (they arrive on `topic$` before any newer one). */
  readonly replayed: number;
}

/** A position in a topic's stream: the offset of the last event taken, and the stream's epoch. */
interface Position {
  offset: number;
  epoch: string;
}

const isOffset = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** One (topic, params) this client holds, shared by all its local subscribers. */
interface Held {
  readonly key: string;
  readonly tid: number;
  readonly topic: string;
  readonly params: unknown;
  readonly events: Subject<readonly [string, unknown]>;
  refs: number;
  /** `idle`: no join on the current link; `joining`: `tj` sent; `joined`: the server said `ta`. */
  state: 'idle' | 'joining' | 'joined';
  /** Where this join is in the topic's stream (from `ta.rs`, then each `tm.seq`); presented as `o` on a rejoin. */
  pos: Position | undefined;
  /** Joined once already: the next `ta` is a reopen. */
  opened: boolean;
}

/**
 * The client's topics: `topic$(topic, params)` is cold and shared per (topic, params): the first subscriber
 * sends `tj`, the last unsubscribe sends `tl`. Every handshake joins again every topic held (a new connection
 * knows none), so a reconnect puts the app back where it was. The server's `tx` (refused, removed) errors the
 * Observable; `disconnect()` errors it with `CHSK_CLOSED`.
 */
export class ClientTopics {
  private readonly byKey = new Map<string, Held>();
  private readonly byTid = new Map<number, Held>();
  private readonly byTopic = new Map<string, Set<Held>>();
  private nextTid = 1;
  /** Each rejoin after a reconnect: what it recovered. */
  readonly reopened = new Subject<TopicReopened>();

  constructor(private readonly host: TopicsHost) {}

  topic$(topic: string, params?: unknown): Observable<readonly [string, unknown]> {
    return new Observable<readonly [string, unknown]>((sub) => {
      if (typeof topic !== 'string' || topic.length === 0) return sub.error(new ConfigError(`topic$: the topic must be a non-empty string, got ${String(topic)}`));
      let key: string;
      try {
        key = `${topic}\u0000${params === undefined ? '' : JSON.stringify(params)}`;
      } catch (e) {
        return sub.error(new ConfigError(`topic$: params must be JSON-serialisable: ${String((e as Error)?.message ?? e)}`));
      }
      let h = this.byKey.get(key);
      if (!h) {
        h = { key, tid: this.nextTid++, topic, params, events: new Subject(), refs: 0, state: 'idle', pos: undefined, opened: false };
        this.byKey.set(key, h);
        this.byTid.set(h.tid, h);
        let same = this.byTopic.get(topic);
        if (!same) this.byTopic.set(topic, (same = new Set()));
        same.add(h);
        if (this.host.ready()) this.join(h);
      }
      const held = h;
      held.refs++;
      const inner = held.events.subscribe(sub);
      return () => {
        inner.unsubscribe();
        if (--held.refs > 0 || this.byKey.get(key) !== held) return;
        this.forget(held);
        if (held.state !== 'idle') this.host.write({ t: MessageType.TopicLeave, tid: held.tid });
      };
    });
  }

  /** A handshake: join every topic held on the new link. */
  opened(): void {
    for (const h of this.byKey.values()) this.join(h);
  }

  /** The link ended: the server forgot every join; they are sent again on the next handshake. */
  down(): void {
    for (const h of this.byKey.values()) h.state = 'idle';
  }

  /** The client stopped for good: every topic errors with `error`. */
  stopped(error: ChannelError): void {
    for (const h of [...this.byKey.values()]) {
      this.forget(h);
      h.events.error(error);
    }
  }

  /**
   * `ta`: the join is accepted. `rs` is where it starts in the topic's stream, after the replay of `rc.n` events
   * that follows (untrusted: anything malformed reads as absent). When the replay covers everything since the
   * position presented, the position stays and the replayed events move it as they come; otherwise the join
   * starts at `rs`.
   */
  joined(tid: number, rs?: unknown, rc?: unknown): void {
    const h = this.byTid.get(tid);
    if (!h || h.state !== 'joining') return;
    h.state = 'joined';
    const p = Array.isArray(rs) && rs.length === 2 && isOffset(rs[0]) && typeof rs[1] === 'string' && rs[1] !== '' ? { offset: rs[0], epoch: rs[1] } : undefined;
    const v = typeof rc === 'object' && rc !== null ? (rc as { ok?: unknown; n?: unknown }) : undefined;
    const recovered = v?.ok === true && isOffset(v.n) && p !== undefined && h.pos?.epoch === p.epoch && h.pos.offset + v.n === p.offset;
    if (!recovered) h.pos = p;
    if (h.opened) this.reopened.next({ topic: h.topic, params: h.params, recovered, replayed: recovered ? (v!.n as number) : 0 });
    h.opened = true;
  }

  closed(tid: number, code: string, msg: string): void {
    const h = this.byTid.get(tid);
    if (!h) return;
    this.forget(h);
    h.events.error(code === ErrorCode.TopicRefused ? new TopicRefusedError(h.topic, msg) : new RemoteError(code, msg));
  }

  /**
   * A topic event (`tm`): to every joined (topic, params) of that topic, unless its `seq` is at or below the
   * join's position (a replay and a live copy overlapped: delivered already).
   */
  event(topic: string, ev: WireEvent, data: unknown, seq?: unknown): void {
    const same = this.byTopic.get(topic);
    if (!same) return;
    const e: readonly [string, unknown] = [ev[0], data];
    const at = isOffset(seq) && seq > 0 ? seq : undefined;
    for (const h of [...same]) {
      if (h.state !== 'joined') continue;
      if (at !== undefined && h.pos) {
        if (at <= h.pos.offset) {
          // A stream that started over (its epoch changed under a live join): taken, and the epoch is
          // forgotten, so the next rejoin presents a position the server answers recovered: false to.
          if (at !== 1) continue;
          h.pos.epoch = '?';
        }
        h.pos.offset = at;
      }
      h.events.next(e);
    }
  }

  private join(h: Held): void {
    h.state = 'joining';
    const o = h.pos && h.pos.epoch !== '?' ? ([h.pos.offset, h.pos.epoch] as const) : undefined;
    this.host.write({ t: MessageType.TopicJoin, tid: h.tid, tp: h.topic, ...(h.params !== undefined ? { p: h.params } : {}), ...(o ? { o } : {}) });
  }

  private forget(h: Held): void {
    this.byKey.delete(h.key);
    this.byTid.delete(h.tid);
    const same = this.byTopic.get(h.topic);
    if (same?.delete(h) && same.size === 0) this.byTopic.delete(h.topic);
  }
}
