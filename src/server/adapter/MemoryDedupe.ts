import { DEFAULT_DEDUPE_LIMITS, type DedupeLimits, type DedupeStore, type DedupeVerdict, type StoredReply } from './Dedupe';

interface Seen {
  readonly at: number;
  done: boolean;
  reply: StoredReply | undefined;
}

/** One (uid, client id): its ids in claim order, and the claim time of the oldest (so a claim trims only when due). */
interface Client {
  readonly seen: Map<number, Seen>;
  oldestAt: number;
}

const NEW: DedupeVerdict = { state: 'new' };
const PENDING: DedupeVerdict = { state: 'pending' };

/**
 * Message-id dedupe in this process's memory: per (uid, client id) a Map of mid → state in claim order,
 * bounded by entries and age (the oldest leaves first). A client that has been silent for the whole window
 * is forgotten at its next claim or by `sweep`. `now` is the server's scheduler clock.
 *
 * On the request path (every message a client sends): one clock read, one Map lookup per claim and per
 * answer, no string built while the same client keeps sending (the last client looked up is kept), and the
 * window is trimmed only when its oldest entry is due. Measured with `--expose-gc`: about 350 B per client,
 * 85 B per id of an event, 175 B per id of a request with a small reply.
 */
export class MemoryDedupe implements DedupeStore {
  private readonly clients = new Map<string, Client>();
  private readonly limits: DedupeLimits;
  /** The last client looked up (consecutive messages mostly come from the same one). */
  private lastUid = '';
  private lastCid = '';
  private last: Client | undefined;

  constructor(
    private readonly now: () => number,
    limits: Partial<DedupeLimits> = {},
  ) {
    this.limits = { ...DEFAULT_DEDUPE_LIMITS, ...limits };
  }

  claim(uid: string, clientId: string, mid: number): DedupeVerdict {
    const at = this.now();
    let c = this.lookup(uid, clientId);
    if (!c) {
      c = { seen: new Map(), oldestAt: at };
      this.clients.set(`${uid}\u0000${clientId}`, c);
      this.remember(uid, clientId, c);
    } else if (c.oldestAt < at - this.limits.windowMs) this.trim(c, at);
    const seen = c.seen;
    const s = seen.get(mid);
    if (s) return s.done ? { state: 'done', reply: s.reply } : PENDING;
    if (seen.size === 0) c.oldestAt = at;
    seen.set(mid, { at, done: false, reply: undefined });
    if (seen.size > this.limits.maxEntries) {
      seen.delete(seen.keys().next().value!);
      c.oldestAt = seen.values().next().value!.at;
    }
    return NEW;
  }

  complete(uid: string, clientId: string, mid: number, reply: StoredReply | undefined): void {
    const s = this.lookup(uid, clientId)?.seen.get(mid);
    if (!s) return;
    s.done = true;
    s.reply = reply;
  }

  /** Forgets clients whose every id has left the window (call it now and then; claims also trim). */
  sweep(): void {
    const at = this.now();
    for (const [key, c] of this.clients) {
      this.trim(c, at);
      if (c.seen.size === 0) {
        this.clients.delete(key);
        if (this.last === c) this.last = undefined;
      }
    }
  }

  private lookup(uid: string, clientId: string): Client | undefined {
    if (this.last && this.lastUid === uid && this.lastCid === clientId) return this.last;
    const c = this.clients.get(`${uid}\u0000${clientId}`);
    if (c) this.remember(uid, clientId, c);
    return c;
  }

  private remember(uid: string, clientId: string, c: Client): void {
    this.lastUid = uid;
    this.lastCid = clientId;
    this.last = c;
  }

  private trim(c: Client, at: number): void {
    const oldest = at - this.limits.windowMs;
    for (const [mid, s] of c.seen) {
      if (s.at >= oldest) {
        c.oldestAt = s.at;
        return;
      }
      c.seen.delete(mid);
    }
    c.oldestAt = at;
  }
}
