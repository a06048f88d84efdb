import type { EventMessage } from '../../protocol/messages';
import { DEFAULT_REPLAY_LIMITS, type LogEntry, type ReplayLimits, type ReplayLog, type ReplayRead, type StreamPosition } from './ReplayLog';

interface Stored extends LogEntry {
  readonly bytes: number;
  readonly at: number;
}

interface Log {
  readonly epoch: string;
  top: number;
  bytes: number;
  /** Entries in offset order; `head` is the index of the oldest one kept (trimming moves it, compaction is amortised). */
  entries: Stored[];
  head: number;
}

let epochs = 0;
/** A new epoch: unique within the process, and across restarts (time + random). */
function newEpoch(): string {
  return `${Date.now().toString(36)}.${(epochs++).toString(36)}.${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Replay logs in this process's memory, bounded per stream by entries, bytes and age (whichever is passed
 * first). A log whose every entry has aged out is forgotten at the next touch and a new one starts with a
 * new epoch, so idle streams cost nothing; the epoch tells a returning client that its offset means nothing
 * here. `now` is the server's scheduler clock.
 */
export class MemoryReplayLog implements ReplayLog {
  private readonly logs = new Map<string, Log>();
  private readonly limits: ReplayLimits;

  constructor(
    private readonly now: () => number,
    limits: Partial<ReplayLimits> = {},
  ) {
    this.limits = { ...DEFAULT_REPLAY_LIMITS, ...limits };
  }

  append(stream: string, msg: EventMessage, bytes: number): StreamPosition {
    const log = this.log(stream);
    const offset = ++log.top;
    log.entries.push({ offset, msg, bytes, at: this.now() });
    log.bytes += bytes;
    this.trim(log);
    return { offset, epoch: log.epoch };
  }

  readSince(stream: string, since: StreamPosition, max = Infinity): ReplayRead {
    const log = this.log(stream);
    const position = { offset: log.top, epoch: log.epoch };
    if (since.epoch !== log.epoch) return { ok: false, reason: 'epoch', position };
    if (since.offset > log.top) return { ok: false, reason: 'epoch', position };
    if (since.offset === log.top) return { ok: true, entries: [], position };
    const first = log.entries[log.head];
    if (!first || first.offset > since.offset + 1) return { ok: false, reason: 'trimmed', position };
    const start = log.head + (since.offset + 1 - first.offset);
    if (log.top - since.offset > max) return { ok: false, reason: 'too-many', position };
    return { ok: true, entries: log.entries.slice(start).map(({ offset, msg }) => ({ offset, msg })), position };
  }

  position(stream: string): StreamPosition {
    const log = this.log(stream);
    return { offset: log.top, epoch: log.epoch };
  }

  /** The log of `stream`, trimmed by age; a new one (new epoch) when it had none or every entry aged out. */
  private log(stream: string): Log {
    let log = this.logs.get(stream);
    if (log) {
      this.trim(log);
      if (log.head >= log.entries.length && log.top > 0) this.logs.delete(stream), (log = undefined);
    }
    if (!log) this.logs.set(stream, (log = { epoch: newEpoch(), top: 0, bytes: 0, entries: [], head: 0 }));
    return log;
  }

  private trim(log: Log): void {
    const { maxEntries, maxBytes, maxAgeMs } = this.limits;
    const oldest = this.now() - maxAgeMs;
    while (log.head < log.entries.length) {
      const e = log.entries[log.head]!;
      if (log.entries.length - log.head <= maxEntries && log.bytes <= maxBytes && e.at >= oldest) break;
      log.bytes -= e.bytes;
      log.head++;
    }
    if (log.head > 64 && log.head * 2 >= log.entries.length) {
      log.entries = log.entries.slice(log.head);
      log.head = 0;
    }
  }
}
