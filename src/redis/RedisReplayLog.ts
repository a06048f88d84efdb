import { randomBytes } from 'crypto';
import type { Redis } from 'ioredis';
import type { EventMessage } from '../protocol/messages';
import { DEFAULT_REPLAY_LIMITS, type LogEntry, type ReplayLimits, type ReplayLog, type ReplayRead, type StreamPosition } from '../server/adapter/ReplayLog';
import { APPEND, READ, RESTART } from './replayScripts';

/** How long a stream's position outlives its last append (as the memory logs keep it). */
export const DEFAULT_POSITION_TTL_MS = 24 * 3600_000;

interface Scripts {
  chskLogAppend(data: string, meta: string, ...argv: (string | Buffer)[]): Promise<[number, string]>;
  chskLogRead(data: string, meta: string, ...argv: string[]): Promise<(number | string)[]>;
  chskLogRestart(data: string, meta: string, ...argv: (string | Buffer)[]): Promise<string>;
}

/** What {@link RedisReplayLog.append} also publishes, in the same atomic step. */
export interface AppendPublish {
  /** `publish` or `spublish`. */
  readonly command: 'publish' | 'spublish';
  /** Sent to each channel as `<offset> <epoch>\n<payload>`. */
  readonly payload: Buffer;
  readonly channels: readonly string[];
}

/**
 * Replay logs in Redis, where every node reads them: one stream per log whose entry ids are the offsets, and a
 * meta hash (epoch, top offset, bytes, last append) that outlives the entries for `positionTtlMs`. One Lua
 * script appends, trims (entries, bytes, age) and optionally publishes the entry, so subscribers see a
 * stream's entries in offset order whichever node appended them. Bounds follow `MemoryReplayLog` on the
 * caller's clock (`now`, the server's scheduler). Messages are kept as JSON.
 */
export class RedisReplayLog implements ReplayLog {
  private limits: ReplayLimits;
  private readonly s: Scripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number,
    limits: Partial<ReplayLimits> = {},
    private readonly positionTtlMs = DEFAULT_POSITION_TTL_MS,
  ) {
    this.limits = { ...DEFAULT_REPLAY_LIMITS, ...limits };
    redis.defineCommand('chskLogAppend', { numberOfKeys: 2, lua: APPEND });
    redis.defineCommand('chskLogRead', { numberOfKeys: 2, lua: READ });
    redis.defineCommand('chskLogRestart', { numberOfKeys: 2, lua: RESTART });
    this.s = redis as unknown as Scripts;
  }

  /** Replaces the bounds (the server's `resume` option, given when the adapter starts). */
  setLimits(limits: Partial<ReplayLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  append(stream: string, msg: EventMessage, bytes: number, publish?: AppendPublish): Promise<StreamPosition> {
    const pub = publish ? [publish.command, publish.payload, ...publish.channels] : [''];
    return this.s
      .chskLogAppend(...this.keys(stream), ...this.head(), JSON.stringify(msg), String(Math.max(0, Math.round(bytes))), ...pub)
      .then(([offset, epoch]) => ({ offset: Number(offset), epoch: String(epoch) }));
  }

  async readSince(stream: string, since: StreamPosition, max = Infinity): Promise<ReplayRead> {
    const lim = Number.isFinite(max) ? String(Math.max(0, Math.floor(max))) : '-1';
    const out = await this.s.chskLogRead(...this.keys(stream), ...this.head(), String(since.offset), since.epoch, lim, 'read');
    const position = { offset: Number(out[0]), epoch: String(out[1]) };
    const verdict = String(out[2]);
    if (verdict !== 'ok') return { ok: false, reason: verdict as 'epoch' | 'trimmed' | 'too-many', position };
    const entries: LogEntry[] = out.slice(3).map((m, i) => ({ offset: since.offset + 1 + i, msg: JSON.parse(String(m)) as EventMessage }));
    return { ok: true, entries, position };
  }

  /**
   * Starts `stream` over: a new epoch, no entries (every position in the old epoch is void), and publishes the
   * restart as offset 0 (`0 <epoch>\n<payload>`) in the same atomic step. Answers the new epoch.
   */
  restart(stream: string, publish?: AppendPublish): Promise<string> {
    const pub = publish ? [publish.command, publish.payload, ...publish.channels] : [''];
    return this.s.chskLogRestart(...this.keys(stream), ...this.head(), ...pub).then(String);
  }

  async position(stream: string): Promise<StreamPosition> {
    const out = await this.s.chskLogRead(...this.keys(stream), ...this.head(), '0', '', '-1', 'pos');
    return { offset: Number(out[0]), epoch: String(out[1]) };
  }

  private keys(stream: string): [string, string] {
    return [`${this.prefix}r:${stream}`, `${this.prefix}rm:${stream}`];
  }

  private head(): string[] {
    const { maxEntries, maxBytes, maxAgeMs } = this.limits;
    return [String(this.now()), String(maxEntries), String(maxBytes), String(maxAgeMs), String(this.positionTtlMs), randomBytes(8).toString('hex')];
  }
}
