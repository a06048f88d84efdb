import type { EventMessage } from '../../protocol/messages';

/**
 * A position in one stream: the offset of the last entry (0 before the first) and the epoch of the log. The
 * epoch names one incarnation of a log: a log that was lost (a restarted in-memory server, a Redis flush, a
 * log trimmed away entirely) gets a new one, so a client's old offset is never mistaken for a position in it.
 */
export interface StreamPosition {
  readonly offset: number;
  readonly epoch: string;
}

/** One entry of a replay log. */
export interface LogEntry {
  readonly offset: number;
  readonly msg: EventMessage;
}

/**
 * The answer to {@link ReplayLog.readSince}: every entry after the position, in order (`ok: true`, possibly
 * none), or why that is impossible (never a partial answer): another `epoch`, entries `trimmed` away, or more
 * than the caller's `max`. `position` is the stream's current position either way.
 */
export type ReplayRead =
  | { readonly ok: true; readonly entries: readonly LogEntry[]; readonly position: StreamPosition }
  | { readonly ok: false; readonly reason: 'epoch' | 'trimmed' | 'too-many'; readonly position: StreamPosition };

/** Bounds of every replay log; an entry leaves when any of them is passed. */
export interface ReplayLimits {
  /** Entries kept per stream. @default 1000 */
  maxEntries: number;
  /** Bytes (as `append` was told) kept per stream. @default 1_048_576 */
  maxBytes: number;
  /** Age of the oldest entry kept, in ms. @default 120_000 */
  maxAgeMs: number;
}

export const DEFAULT_REPLAY_LIMITS: ReplayLimits = { maxEntries: 1000, maxBytes: 1_048_576, maxAgeMs: 120_000 };

/**
 * Replay logs, one per stream (`u:<uid>` for a uid's pushes, `b` for broadcasts, `t:<topic>` for a topic):
 * an adapter service. In memory for one process (`MemoryReplayLog`); a cluster adapter keeps them where every
 * node reads them. Calls may answer at once or with a Promise (a round trip); callers must accept both.
 */
export interface ReplayLog {
  /** Appends `msg` (`bytes`: its packed size, for the byte bound) to `stream`; answers its position. */
  append(stream: string, msg: EventMessage, bytes: number): StreamPosition | Promise<StreamPosition>;
  /** Entries of `stream` after `since`, at most `max` of them (see {@link ReplayRead}). */
  readSince(stream: string, since: StreamPosition, max?: number): ReplayRead | Promise<ReplayRead>;
  /** The current position of `stream` (offset 0 and a fresh epoch for a stream never written). */
  position(stream: string): StreamPosition | Promise<StreamPosition>;
}
