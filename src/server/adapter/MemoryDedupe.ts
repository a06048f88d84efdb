import { DEFAULT_DEDUPE_LIMITS, type DedupeLimits, type DedupeStore, type DedupeVerdict, type StoredReply } from './Dedupe';

/** The state of an id being handled, and of a handled emit (no reply): marks held in the Map as they are. */
const PENDING_MARK: unique symbol = Symbol('pending');
const DONE_MARK: unique symbol = Symbol('done');
/** An id's state: a mark, or the stored reply of a handled request (no object per id). */
type Seen = StoredReply | typeof PENDING_MARK | typeof DONE_MARK;

/**
 * One (uid, client id): its ids, and in `log` from `head` on, pairs (mid, claim time) in claim order (the oldest
 * first). Evicting the oldest reads `log[head]`: taking it from the Map's own order needed an iterator per claim
 * once the window was full, about 400 ns of the 850 ns a claim and its answer cost (232 ns now).
 */
interface Client {
  readonly seen: Map<number, Seen>;
  log: number[];
  head: number;
}

const NEW: DedupeVerdict = { state: 'new' };
const PENDING: DedupeVerdict = { state: 'pending' };

/**
 * Message-id dedupe in this process's memory: per (uid, client id) a Map of mid → state in claim order,
 * bounded by entries and age (the oldest leaves first). A client that has been silent for the whole window
 * is forgotten at its next claim or by `sweep`. `now` is the server's scheduler clock.
 *
 * On the request path (every message a client sends): one clock read, one Map lookup per claim and per
 * answer, no string built while the same client keeps sending (the last client looked up is kept), no iterator, no
 * object per id (the Map holds the stored reply itself, or a mark), and the window is trimmed only when its
 * oldest entry is due.
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
      c = { seen: new Map(), log: [], head: 0 };
      this.clients.set(`${uid}\u0000${clientId}`, c);
      this.remember(uid, clientId, c);
    } else if (c.head < c.log.length && c.log[c.head + 1]! < at - this.limits.windowMs) this.trim(c, at);
    const seen = c.seen;
    const s = seen.get(mid);
    if (s !== undefined) return s === PENDING_MARK ? PENDING : { state: 'done', reply: s === DONE_MARK ? undefined : s };
    seen.set(mid, PENDING_MARK);
    c.log.push(mid, at);
    if (seen.size > this.limits.maxEntries) this.evict(c);
    return NEW;
  }

  complete(uid: string, clientId: string, mid: number, reply: StoredReply | undefined): void {
    const seen = this.lookup(uid, clientId)?.seen;
    if (seen === undefined || !seen.has(mid)) return;
    seen.set(mid, reply ?? DONE_MARK);
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

  /** Drops the oldest id. */
  private evict(c: Client): void {
    c.seen.delete(c.log[c.head]!);
    c.head += 2;
    this.compact(c);
  }

  /** Drops the ids claimed before the window. */
  private trim(c: Client, at: number): void {
    const oldest = at - this.limits.windowMs;
    while (c.head < c.log.length && c.log[c.head + 1]! < oldest) {
      c.seen.delete(c.log[c.head]!);
      c.head += 2;
    }
    this.compact(c);
  }

  /** Lets go of the arrays' dropped front once it is large (amortised O(1) per id). */
  private compact(c: Client): void {
    if (c.head < 128 || c.head * 2 < c.log.length) return;
    c.log = c.log.slice(c.head);
    c.head = 0;
  }
}
