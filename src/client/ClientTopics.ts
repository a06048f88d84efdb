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
        h = { key, tid: this.nextTid++, topic, params, events: new Subject(), refs: 0, state: 'idle' };
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

  joined(tid: number): void {
    const h = this.byTid.get(tid);
    if (h && h.state === 'joining') h.state = 'joined';
  }

  closed(tid: number, code: string, msg: string): void {
    const h = this.byTid.get(tid);
    if (!h) return;
    this.forget(h);
    h.events.error(code === ErrorCode.TopicRefused ? new TopicRefusedError(h.topic, msg) : new RemoteError(code, msg));
  }

  /** A topic event (`tm`): to every joined (topic, params) of that topic. */
  event(topic: string, ev: WireEvent, data: unknown): void {
    const same = this.byTopic.get(topic);
    if (!same) return;
    const e: readonly [string, unknown] = [ev[0], data];
    for (const h of [...same]) if (h.state === 'joined') h.events.next(e);
  }

  private join(h: Held): void {
    h.state = 'joining';
    this.host.write({ t: MessageType.TopicJoin, tid: h.tid, tp: h.topic, ...(h.params !== undefined ? { p: h.params } : {}) });
  }

  private forget(h: Held): void {
    this.byKey.delete(h.key);
    this.byTid.delete(h.tid);
    const same = this.byTopic.get(h.topic);
    if (same?.delete(h) && same.size === 0) this.byTopic.delete(h.topic);
  }
}
