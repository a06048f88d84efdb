import type { EventMessage } from '../../protocol/messages';
import { DEFAULT_REPLAY_LIMITS, type LogEntry, type ReplayLimits, type ReplayLog, type ReplayRead, type StreamPosition } from './ReplayLog';

/**
 * A stream's entries: a ring of parallel arrays (the message, its bytes, its append time), `count` of them from
 * index `start`, the newest at the log's `top` offset (an entry's offset is implicit: no object per entry, and
 * its time is a number in an array rather than a field of an object). It grows by doubling and is let go when
 * it empties, so a position alone holds no ring.
 */
interface Ring {
  readonly msgs: (EventMessage | undefined)[];
  readonly sizes: number[];
  /** Append times, as scheduler time minus the instance's `t0` (small integers). */
  readonly ats: number[];
  /** `msgs.length - 1`: capacities are powers of two. */
  readonly mask: number;
  start: number;
  count: number;
  /** Bytes of the entries held (as `append` was told). */
  bytes: number;
}

interface Log {
  /** This log's incarnation, a small integer: its epoch string is made when asked for ({@link epochOf}). */
  readonly gen: number;
  top: number;
  /** The entries, none when undefined. */
  ring: Ring | undefined;
  /**
   * When the last entry was appended, as scheduler time minus the log's `t0` (a small integer, kept in the
   * object rather than as a boxed double); the position outlives it by `positionTtlMs`.
   */
  last: number;
}

/** How long a stream's position outlives its last append: as `RedisReplayLog` keeps it. */
export const DEFAULT_POSITION_TTL_MS = 24 * 3600_000;

let instances = 0;
/**
 * The epoch prefix of one MemoryReplayLog: unique across processes and restarts (time + random) and across
 * instances of a process; each log appends its own `gen`. One flat string per instance: an epoch built per
 * stream from several pieces cost about 150 B of concatenated and sliced strings for every uid ever told a
 * position.
 */
function newBase(): string {
  const rand = Math.random().toString(36).slice(2, 8);
  return [Date.now().toString(36), (instances++).toString(36), rand, ''].join('.');
}

/** The first ring a stream gets (grown by doubling as it fills). */
const FIRST_CAPACITY = 8;

/**
 * Replay logs in this process's memory, bounded per stream by entries, bytes and age (whichever is passed
 * first). The position (epoch and top offset, about 150 B) outlives the entries for `positionTtlMs` after the
 * last append, so a client that is up to date resumes (`recovered: true`) however long ago its stream last
 * moved; after that the stream starts again with a new epoch. Idle streams are swept as appends come (a few
 * per append, oldest first, no timer): entries older than `maxAgeMs` are let go even if nobody reads the
 * stream again. `now` is the server's scheduler clock.
 */
export class MemoryReplayLog implements ReplayLog {
  /** Logs holding entries, and the positions alone (logs whose entries all aged out, or never written). */
  private readonly live = new Map<string, Log>();
  private readonly idle = new Map<string, Log>();
  /** Where the sweep is in each map: insertion-ordered iterators, valid across additions and deletions. */
  private liveCursor: Iterator<[string, Log]> = this.live.entries();
  private idleCursor: Iterator<[string, Log]> = this.idle.entries();
  /** Appends so far (the sweep runs every 16th). */
  private appends = 0;
  /**
   * The time of a sweep that looked at every log (both maps small) and found nothing to let go: until the clock
   * moves, no sweep can find anything either (a log only ages as time passes), so none runs.
   */
  private quietAt = Number.NaN;
  private readonly limits: ReplayLimits;
  private readonly base = newBase();
  /** The last `gen` given to a log. */
  private gens = 0;
  /** Scheduler time of the first call: `Log.last` and entry times count from it (small integers). */
  private t0: number | undefined = undefined;

  constructor(
    private readonly now: () => number,
    limits: Partial<ReplayLimits> = {},
    private readonly positionTtlMs = DEFAULT_POSITION_TTL_MS,
  ) {
    this.limits = { ...DEFAULT_REPLAY_LIMITS, ...limits };
  }

  /** Scheduler time relative to the first call. */
  private time(): number {
    const now = this.now();
    return now - (this.t0 ??= now);
  }

  private epochOf(log: Log): string {
    return this.base + log.gen.toString(36);
  }

  append(stream: string, msg: EventMessage, bytes: number): StreamPosition {
    const log = this.appendTo(stream, msg, bytes);
    return { offset: log.top, epoch: this.epochOf(log) };
  }

  /**
   * `append` for the memory adapter's push path: answers the offset alone (the epoch is the stream's, as
   * `position` tells), so a push allocates nothing here but what the log keeps.
   */
  appendOffset(stream: string, msg: EventMessage, bytes: number): number {
    return this.appendTo(stream, msg, bytes).top;
  }

  private appendTo(stream: string, msg: EventMessage, bytes: number): Log {
    const now = this.time();
    let log = this.live.get(stream);
    if (log === undefined || now - log.last > this.positionTtlMs) {
      if (log) this.live.delete(stream);
      log = this.log(stream, now);
      this.idle.delete(stream);
      this.live.set(stream, log);
    }
    let r = log.ring;
    if (r === undefined || r.count === r.msgs.length) r = log.ring = grow(r);
    const i = (r.start + r.count) & r.mask;
    r.msgs[i] = msg;
    r.sizes[i] = bytes;
    r.ats[i] = now;
    r.count++;
    r.bytes += bytes;
    log.top++;
    log.last = now;
    this.trim(log, now);
    if ((++this.appends & 15) === 0 && now !== this.quietAt) this.sweep(now);
    return log;
  }

  readSince(stream: string, since: StreamPosition, max = Infinity): ReplayRead {
    const log = this.log(stream, this.time());
    const position = { offset: log.top, epoch: this.epochOf(log) };
    if (since.epoch !== position.epoch) return { ok: false, reason: 'epoch', position };
    if (since.offset > log.top) return { ok: false, reason: 'epoch', position };
    if (since.offset === log.top) return { ok: true, entries: [], position };
    const r = log.ring;
    const first = log.top - (r?.count ?? 0) + 1;
    if (r === undefined || first > since.offset + 1) return { ok: false, reason: 'trimmed', position };
    if (log.top - since.offset > max) return { ok: false, reason: 'too-many', position };
    const entries: LogEntry[] = [];
    for (let offset = since.offset + 1; offset <= log.top; offset++) {
      entries.push({ offset, msg: r.msgs[(r.start + offset - first) & r.mask]! });
    }
    return { ok: true, entries, position };
  }

  position(stream: string): StreamPosition {
    const log = this.log(stream, this.time());
    return { offset: log.top, epoch: this.epochOf(log) };
  }

  /** Streams whose entries or position are held (for tests and the memory figures in README). */
  get size(): { readonly withEntries: number; readonly positionsOnly: number } {
    return { withEntries: this.live.size, positionsOnly: this.idle.size };
  }

  /**
   * The log of `stream`, trimmed by age; a new one (new epoch) when it had none or its position expired. A
   * stream read but never written gets a log too (offset 0, kept with the positions until its TTL), so its
   * epoch does not change under a client that was told it.
   */
  private log(stream: string, now: number): Log {
    let log = this.live.get(stream) ?? this.idle.get(stream);
    if (log) {
      if (now - log.last > this.positionTtlMs) {
        this.live.delete(stream);
        this.idle.delete(stream);
        log = undefined;
      } else this.trim(log, now);
    }
    if (!log) {
      log = { gen: ++this.gens, top: 0, ring: undefined, last: now };
      this.idle.set(stream, log);
    }
    return log;
  }

  /** Drops the oldest entries past a bound (mostly one check per bound: the ring is in offset order). */
  private trim(log: Log, now: number): void {
    const r = log.ring;
    if (r === undefined) return;
    const { maxEntries, maxBytes, maxAgeMs } = this.limits;
    const oldest = now - maxAgeMs;
    const { msgs, sizes, ats, mask } = r;
    while (r.count > 0 && (r.count > maxEntries || r.bytes > maxBytes || ats[r.start]! < oldest)) {
      const i = r.start;
      r.bytes -= sizes[i]!;
      msgs[i] = undefined;
      r.start = (i + 1) & mask;
      r.count--;
    }
    if (r.count === 0) log.ring = undefined;
  }

  /**
   * Lets go of what idle streams hold, so the cost follows the work: every 16th append looks at the next 32 logs
   * of each map (2 per append, amortised), so a stream is looked at within a pass over its map: a log whose
   * last append is past `maxAgeMs` loses its entries (its position stays), a position past `positionTtlMs`
   * goes. The cursors are the maps' own iterators (insertion order, unaffected by deletions), started again at
   * the end of a pass.
   */
  private sweep(now: number): void {
    const { maxAgeMs } = this.limits;
    const whole = this.live.size <= 32 && this.idle.size <= 32;
    let found = false;
    // At most one look at each log per sweep (a few streams: no pass restarted twice in one sweep).
    for (let i = 0, n = Math.min(32, this.live.size), restarted = false; i < n; i++) {
      let step = this.liveCursor.next();
      if (step.done) {
        if (restarted) break;
        restarted = true;
        step = (this.liveCursor = this.live.entries()).next();
        if (step.done) break;
      }
      const [stream, log] = step.value;
      if (now - log.last <= maxAgeMs) continue;
      found = true;
      log.ring = undefined;
      this.live.delete(stream);
      this.idle.set(stream, log);
    }
    for (let i = 0, n = Math.min(32, this.idle.size), restarted = false; i < n; i++) {
      let step = this.idleCursor.next();
      if (step.done) {
        if (restarted) break;
        restarted = true;
        step = (this.idleCursor = this.idle.entries()).next();
        if (step.done) break;
      }
      const [stream, log] = step.value;
      if (now - log.last > this.positionTtlMs) this.idle.delete(stream), (found = true);
    }
    if (whole && !found) this.quietAt = now;
  }
}

/** A ring twice as large holding the same entries (the oldest at index 0), or the first one. */
function grow(r: Ring | undefined): Ring {
  const n = r?.count ?? 0;
  const capacity = n === 0 ? FIRST_CAPACITY : n * 2;
  const msgs = new Array<EventMessage | undefined>(capacity);
  const sizes = new Array<number>(capacity);
  const ats = new Array<number>(capacity);
  for (let j = 0; j < n; j++) {
    const i = (r!.start + j) & r!.mask;
    msgs[j] = r!.msgs[i];
    sizes[j] = r!.sizes[i]!;
    ats[j] = r!.ats[i]!;
  }
  for (let j = n; j < capacity; j++) (msgs[j] = undefined), (sizes[j] = 0), (ats[j] = 0);
  return { msgs, sizes, ats, mask: capacity - 1, start: 0, count: n, bytes: r?.bytes ?? 0 };
}
