import type { EventMessage } from '../../protocol/messages';
import { DEFAULT_REPLAY_LIMITS, type LogEntry, type ReplayLimits, type ReplayLog, type ReplayRead, type StreamPosition } from './ReplayLog';

interface Stored extends LogEntry {
  readonly bytes: number;
  readonly at: number;
}

interface Log {
  /** This log's incarnation, a small integer: its epoch string is made when asked for ({@link epochOf}). */
  readonly gen: number;
  top: number;
  bytes: number;
  /**
   * Entries in offset order; `head` is the index of the oldest one kept (trimming moves it and clears the slot at
   * once, so a trimmed message is let go then; compaction of the array is amortised).
   */
  entries: Array<Stored | undefined>;
  head: number;
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

const NO_ENTRIES: Array<Stored | undefined> = [];

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
    const offset = this.appendOffset(stream, msg, bytes);
    return { offset, epoch: this.epochOf(this.live.get(stream)!) };
  }

  /** {@link append} answering the offset alone: the push path needs no epoch (no string made per push). */
  appendOffset(stream: string, msg: EventMessage, bytes: number): number {
    const now = this.time();
    let log = this.live.get(stream);
    if (log && now - log.last > this.positionTtlMs) this.live.delete(stream), (log = undefined);
    if (!log) {
      log = this.log(stream, now);
      this.idle.delete(stream);
      this.live.set(stream, log);
    }
    const offset = ++log.top;
    if (log.entries === NO_ENTRIES) log.entries = [];
    log.entries.push({ offset, msg, bytes, at: now });
    log.bytes += bytes;
    log.last = now;
    this.trim(log, now);
    this.sweep(now);
    return offset;
  }

  readSince(stream: string, since: StreamPosition, max = Infinity): ReplayRead {
    const log = this.log(stream, this.time());
    const position = { offset: log.top, epoch: this.epochOf(log) };
    if (since.epoch !== position.epoch) return { ok: false, reason: 'epoch', position };
    if (since.offset > log.top) return { ok: false, reason: 'epoch', position };
    if (since.offset === log.top) return { ok: true, entries: [], position };
    const first = log.entries[log.head];
    if (!first || first.offset > since.offset + 1) return { ok: false, reason: 'trimmed', position };
    const start = log.head + (since.offset + 1 - first.offset);
    if (log.top - since.offset > max) return { ok: false, reason: 'too-many', position };
    return { ok: true, entries: (log.entries.slice(start) as Stored[]).map(({ offset, msg }) => ({ offset, msg })), position };
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
      log = { gen: ++this.gens, top: 0, bytes: 0, entries: NO_ENTRIES, head: 0, last: now };
      this.idle.set(stream, log);
    }
    return log;
  }

  private trim(log: Log, now: number): void {
    const { maxEntries, maxBytes, maxAgeMs } = this.limits;
    const oldest = now - maxAgeMs;
    while (log.head < log.entries.length) {
      const e = log.entries[log.head]!;
      if (log.entries.length - log.head <= maxEntries && log.bytes <= maxBytes && e.at >= oldest) break;
      log.bytes -= e.bytes;
      log.entries[log.head++] = undefined; // let the message go now, not at the next compaction
    }
    if (log.head >= log.entries.length) {
      if (log.entries !== NO_ENTRIES) (log.entries = NO_ENTRIES), (log.head = 0), (log.bytes = 0);
    } else if (log.head > 64 && log.head * 2 >= log.entries.length) {
      log.entries = log.entries.slice(log.head);
      log.head = 0;
    }
  }

  /**
   * Lets go of what idle streams hold, so the cost follows the work: every 16th append looks at the next 32 logs
   * of each map (2 per append, amortised), so a stream is looked at within a pass over its map: a log whose
   * last append is past `maxAgeMs` loses its entries (its position stays), a position past `positionTtlMs`
   * goes. The cursors are the maps' own iterators (insertion order, unaffected by deletions), started again at
   * the end of a pass.
   */
  private sweep(now: number): void {
    if ((++this.appends & 15) !== 0) return;
    const { maxAgeMs } = this.limits;
    for (let i = 0, restarted = false; i < 32; i++) {
      let step = this.liveCursor.next();
      if (step.done) {
        if (restarted) break;
        restarted = true;
        step = (this.liveCursor = this.live.entries()).next();
        if (step.done) break;
      }
      const [stream, log] = step.value;
      if (now - log.last <= maxAgeMs) continue;
      log.entries = NO_ENTRIES;
      log.head = log.bytes = 0;
      this.live.delete(stream);
      this.idle.set(stream, log);
    }
    for (let i = 0, restarted = false; i < 32 && this.idle.size > 0; i++) {
      let step = this.idleCursor.next();
      if (step.done) {
        if (restarted) break;
        restarted = true;
        step = (this.idleCursor = this.idle.entries()).next();
        if (step.done) break;
      }
      const [stream, log] = step.value;
      if (now - log.last > this.positionTtlMs) this.idle.delete(stream);
    }
  }
}
