import { Subject, type Subscription } from 'rxjs';
import { batch } from '../operators/batch';
import type { Frame } from '../packers/Packer';
import type { TransportType } from '../protocol/events';
import { MessageType, type EventMessage, type TopicEventMessage } from '../protocol/messages';
import type { ServerConn } from './ServerConn';
import type { ServerAdapter } from './adapter/ServerAdapter';
import type { ResolvedServerOptions } from './serverOptions';
import type { StatsCounters } from './ServerStats';

/** One push: to the connections of a uid key, to everyone (`key` undefined), or to a topic's `members`. */
interface PushItem {
  readonly key: string | undefined;
  readonly msg: EventMessage | TopicEventMessage;
  /** A topic publish: its members, read when the batch leaves. */
  readonly members?: () => Iterable<ServerConn>;
}

const TRANSPORTS: readonly TransportType[] = ['ws', 'ajax'];

/**
 * Server push batching, on the `batch` operator in leading mode: a push made while no window is open leaves at
 * once (so a lone push or a broadcast pays no batching delay) and opens a window; pushes inside the window
 * leave together at its end, or as soon as no push has come for `batchIdleMs` (the end of a burst). One
 * stream per transport, so order is the order of the `send`/`broadcast` calls for every client. At each
 * flush the pushes of a uid are packed once (one event, or a batch message) and that frame is written to
 * every client of the uid; a batch made only of broadcasts is packed once for everyone.
 */
export class PushBatcher {
  private readonly input = { ws: new Subject<PushItem>(), ajax: new Subject<PushItem>() };
  private readonly flushes = { ws: new Subject<void>(), ajax: new Subject<void>() };
  private readonly subs: Subscription[];
  /**
   * What each transport's batch holds, by uid key (`all`: broadcasts), so a direct write can tell in O(1)
   * whether pushes for its connection are still waiting (see {@link flushBefore}).
   */
  private readonly held = { ws: { all: 0, keys: new Map<string, number>() }, ajax: { all: 0, keys: new Map<string, number>() } };

  constructor(
    /** Where the local connections are: the batcher delivers on this node only (the adapter routes between nodes). */
    private readonly adapter: Pick<ServerAdapter, 'connectionsOf' | 'allConnections'>,
    private readonly o: ResolvedServerOptions,
    private readonly counters: StatsCounters,
  ) {
    this.subs = TRANSPORTS.map((t) =>
      this.input[t]
        .pipe(
          batch({ windowMs: o.batchMs[t], maxSize: o.maxBatchPushes, flush: this.flushes[t], leading: true, idleMs: o.batchIdleMs, scheduler: o.scheduler }),
        )
        .subscribe((items) => this.deliver(t, items)),
    );
  }

  /**
   * Queues a push for this node's connections of `key` (all of them when undefined); returns how many
   * connections it is queued for. `flush` sends everything pending at once.
   */
  push(key: string | undefined, msg: EventMessage, flush: boolean): number {
    let ws = 0;
    let ajax = 0;
    for (const c of key === undefined ? this.adapter.allConnections() : this.adapter.connectionsOf(key)) {
      if (!c.open) continue;
      if (c.transport === 'ws') ws++;
      else ajax++;
    }
    const item: PushItem = { key, msg };
    if (ws > 0) this.counters.batched++, this.hold('ws', key, 1), this.input.ws.next(item);
    if (ajax > 0) this.counters.batched++, this.hold('ajax', key, 1), this.input.ajax.next(item);
    if (flush) for (const t of TRANSPORTS) this.flushes[t].next();
    return ws + ajax;
  }

  /**
   * Called before the core writes a frame straight to a connection (a reply, an error, an ack): if pushes for
   * that connection (its uid key, or broadcasts) wait in a batch, that batch leaves first, so a reply never
   * overtakes a push made before it, e.g. in the same handler. Both transports are checked: a connection that
   * moved from Ajax to WebSocket may still have pushes in the Ajax stream's batch. This flushes the whole
   * transport's batch (everyone's pushes leave early too): cheaper than splitting it, and it only happens when
   * a reply meets pushes still held for its own connection.
   */
  flushBefore(key: string): void {
    for (const t of TRANSPORTS) {
      const h = this.held[t];
      if (h.all > 0 || h.keys.has(key)) this.flushes[t].next();
    }
  }

  /**
   * Queues a topic publish for `members` (this node's members of the topic), batched with the pushes on the same
   * windows so a burst of publishes costs one frame per member per window, packed once for members that get the
   * same messages. Returns how many connections it is queued for.
   */
  publish(msg: TopicEventMessage, members: () => Iterable<ServerConn>, flush: boolean): number {
    let ws = 0;
    let ajax = 0;
    for (const c of members()) {
      if (!c.open) continue;
      if (c.transport === 'ws') ws++;
      else ajax++;
    }
    const item: PushItem = { key: undefined, msg, members };
    if (ws > 0) this.counters.batched++, this.hold('ws', undefined, 1), this.input.ws.next(item);
    if (ajax > 0) this.counters.batched++, this.hold('ajax', undefined, 1), this.input.ajax.next(item);
    if (flush) for (const t of TRANSPORTS) this.flushes[t].next();
    return ws + ajax;
  }

  /** Sends whatever is pending on every transport. */
  flushAll(): void {
    for (const t of TRANSPORTS) this.flushes[t].next();
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe();
  }

  private hold(t: TransportType, key: string | undefined, n: 1 | -1): void {
    const h = this.held[t];
    if (key === undefined) h.all += n;
    else {
      const left = (h.keys.get(key) ?? 0) + n;
      if (left > 0) h.keys.set(key, left);
      else h.keys.delete(key);
    }
  }

  private pack(msgs: readonly (EventMessage | TopicEventMessage)[]): Frame {
    return this.o.packer.pack(msgs.length === 1 ? msgs[0] : { t: MessageType.Batch, ms: msgs });
  }

  private deliver(t: TransportType, items: readonly PushItem[]): void {
    // With a batch window every connection gets one frame per flush: nothing to coalesce, so let it go at
    // once (a broadcast reaches the first clients while the loop still writes to the last). Without one,
    // a loop of pushes to uids in one tick is coalesced by the link; a broadcast still goes at once, since
    // holding every socket's copy until the loop ends delays the first client by the whole loop.
    const immediate = this.o.batchMs[t] > 0;
    const counters = this.counters;
    counters.batched -= items.length;
    for (const i of items) this.hold(t, i.key, -1);
    if (items.some((i) => i.members)) return this.deliverPerConnection(t, items, immediate);
    if (items.every((i) => i.key === undefined)) {
      const frame = this.pack(items.map((i) => i.msg));
      for (const c of this.adapter.allConnections()) if (c.transport === t) c.write(frame, true), counters.framesOut++;
      return;
    }
    const perKey = new Map<string, Array<EventMessage | TopicEventMessage>>();
    const add = (key: string, msg: EventMessage | TopicEventMessage): void => {
      const list = perKey.get(key);
      if (list) list.push(msg);
      else perKey.set(key, [msg]);
    };
    for (const { key, msg } of items) {
      if (key !== undefined) add(key, msg);
      else {
        const seen = new Set<string>();
        for (const c of this.adapter.allConnections()) {
          if (c.transport === t && !seen.has(c.key)) seen.add(c.key), add(c.key, msg);
        }
      }
    }
    const singles = new Map<EventMessage | TopicEventMessage, Frame>();
    for (const [key, msgs] of perKey) {
      let frame: Frame | undefined;
      for (const c of this.adapter.connectionsOf(key)) {
        if (c.transport !== t) continue;
        if (!frame) {
          if (msgs.length === 1) {
            frame = singles.get(msgs[0]!);
            if (!frame) singles.set(msgs[0]!, (frame = this.pack(msgs)));
          } else frame = this.pack(msgs);
        }
        c.write(frame, immediate);
        counters.framesOut++;
      }
    }
  }

  /**
   * A flush holding topic publishes: each connection gets, in call order, the items that target it (its uid's
   * pushes, broadcasts, its topics' publishes); connections that get the same items share one packed frame (the
   * usual case, a burst to one topic, packs once for all its members).
   */
  private deliverPerConnection(t: TransportType, items: readonly PushItem[], immediate: boolean): void {
    const lists = new Map<ServerConn, number[]>();
    items.forEach((item, i) => {
      const targets = item.members ? item.members() : item.key === undefined ? this.adapter.allConnections() : this.adapter.connectionsOf(item.key);
      for (const c of targets) {
        if (c.transport !== t || !c.open) continue;
        const list = lists.get(c);
        if (list) list.push(i);
        else lists.set(c, [i]);
      }
    });
    const frames = new Map<string, Frame>();
    for (const [c, list] of lists) {
      const key = list.join(',');
      let frame = frames.get(key);
      if (!frame) frames.set(key, (frame = this.pack(list.map((i) => items[i]!.msg))));
      c.write(frame, immediate);
      this.counters.framesOut++;
    }
  }
}
