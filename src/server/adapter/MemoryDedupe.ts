import { DEFAULT_DEDUPE_LIMITS, type DedupeLimits, type DedupeStore, type DedupeVerdict, type StoredReply } from './Dedupe';

interface Seen {
  readonly at: number;
  done: boolean;
  reply: StoredReply | undefined;
}

const NEW: DedupeVerdict = { state: 'new' };
const PENDING: DedupeVerdict = { state: 'pending' };

/**
 * Message-id dedupe in this process's memory: per (uid, client id) a Map of mid → state in claim order,
 * bounded by entries and age (the oldest leaves first). A client that has been silent for the whole window
 * is forgotten at its next claim or by `sweep`. `now` is the server's scheduler clock.
 */
export class MemoryDedupe implements DedupeStore {
  private readonly clients = new Map<string, Map<number, Seen>>();
  private readonly limits: DedupeLimits;

  constructor(
    private readonly now: () => number,
    limits: Partial<DedupeLimits> = {},
  ) {
    this.limits = { ...DEFAULT_DEDUPE_LIMITS, ...limits };
  }

  claim(uid: string, clientId: string, mid: number): DedupeVerdict {
    const key = `${uid}\u0000${clientId}`;
    let seen = this.clients.get(key);
    if (!seen) this.clients.set(key, (seen = new Map()));
    this.trim(seen);
    const s = seen.get(mid);
    if (s) return s.done ? { state: 'done', reply: s.reply } : PENDING;
    seen.set(mid, { at: this.now(), done: false, reply: undefined });
    if (seen.size > this.limits.maxEntries) seen.delete(seen.keys().next().value!);
    return NEW;
  }

  complete(uid: string, clientId: string, mid: number, reply: StoredReply | undefined): void {
    const s = this.clients.get(`${uid}\u0000${clientId}`)?.get(mid);
    if (!s) return;
    s.done = true;
    s.reply = reply;
  }

  /** Forgets clients whose every id has left the window (call it now and then; claims also trim). */
  sweep(): void {
    for (const [key, seen] of this.clients) {
      this.trim(seen);
      if (seen.size === 0) this.clients.delete(key);
    }
  }

  private trim(seen: Map<number, Seen>): void {
    const oldest = this.now() - this.limits.windowMs;
    for (const [mid, s] of seen) {
      if (s.at >= oldest) break;
      seen.delete(mid);
    }
  }
}
