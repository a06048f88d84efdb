import { defer, interval, map, share, type Observable, type SchedulerLike } from 'rxjs';
import type { AdapterStats } from './adapter/ServerAdapter';
import type { ServerAdapter } from './adapter/ServerAdapter';

/** One sample of `stats$`: the server's state now, and rates over the interval since the previous sample. */
export interface ServerStats {
  /** Scheduler time of the sample. */
  readonly at: number;
  /** Open connections on this node, per transport. */
  readonly connections: { readonly ws: number; readonly ajax: number };
  /**
   * `send`/`broadcast` calls per second on this node: pushes made, not deliveries (a push to nobody, or into a
   * link that later proves dead, counts; with `resume` the latter is replayed when its client comes back).
   */
  readonly pushesPerSec: number;
  /**
   * Frames written to connections per second (a batch is one frame): written to a socket or an Ajax queue, not
   * received by anyone (a dead link takes frames until it is found dead).
   */
  readonly framesOutPerSec: number;
  /** Frames received from connections per second. */
  readonly framesInPerSec: number;
  /** Queue depths: pushes waiting in batch windows, and bytes waiting in connections' buffers (socket or Ajax queue). */
  readonly queues: { readonly batched: number; readonly bufferedBytes: number };
  /** Drops, totals since start: slow-consumer episodes, and pushes that could not reach other nodes. */
  readonly drops: { readonly slowConsumer: number; readonly remote: number };
  /** The adapter's counters (nodes, cross-node traffic, errors, round-trip time to its store). */
  readonly adapter: AdapterStats;
  /** Totals since start. */
  readonly totals: {
    readonly pushes: number;
    readonly framesOut: number;
    readonly framesIn: number;
    /** Repeated messages (a message id seen before, `dedupe`) answered from the first copy's answer, no handler called. */
    readonly duplicates: number;
  };
}

/**
 * The counters behind `stats$`: plain integers bumped on the hot paths (one increment each), read by a
 * sampler that runs only while someone subscribes to `stats$` (one walk of the local connections per sample
 * for the buffered bytes).
 */
export class StatsCounters {
  pushes = 0;
  framesOut = 0;
  framesIn = 0;
  slowConsumer = 0;
  /** Repeated messages the dedupe gate answered without a handler. */
  duplicates = 0;
  /** Pushes waiting in batch windows (kept by the batcher). */
  batched = 0;

  /** Samples every `intervalMs` while subscribed; one shared timer for every subscriber. */
  stats$(adapter: ServerAdapter, scheduler: SchedulerLike, intervalMs: number): Observable<ServerStats> {
    return defer(() => {
      let prev = { at: scheduler.now(), pushes: this.pushes, framesOut: this.framesOut, framesIn: this.framesIn };
      return interval(intervalMs, scheduler).pipe(
        map((): ServerStats => {
          const at = scheduler.now();
          const secs = Math.max(at - prev.at, 1) / 1000;
          const rate = (now: number, before: number): number => Math.round(((now - before) / secs) * 10) / 10;
          let bufferedBytes = 0;
          for (const c of adapter.allConnections()) bufferedBytes += c.link.bufferedAmount ?? 0;
          const a = adapter.stats();
          const s: ServerStats = {
            at,
            connections: { ws: adapter.perTransport.ws, ajax: adapter.perTransport.ajax },
            pushesPerSec: rate(this.pushes, prev.pushes),
            framesOutPerSec: rate(this.framesOut, prev.framesOut),
            framesInPerSec: rate(this.framesIn, prev.framesIn),
            queues: { batched: this.batched, bufferedBytes },
            drops: { slowConsumer: this.slowConsumer, remote: a.remoteDropped },
            adapter: a,
            totals: { pushes: this.pushes, framesOut: this.framesOut, framesIn: this.framesIn, duplicates: this.duplicates },
          };
          prev = { at, pushes: this.pushes, framesOut: this.framesOut, framesIn: this.framesIn };
          return s;
        }),
      );
    }).pipe(share());
  }
}
