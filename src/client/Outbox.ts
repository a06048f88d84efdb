import { MessageType } from '../protocol/messages';
import type { Outgoing } from './Outgoing';

/**
 * The client's outbox (PROTOCOL.md, "Message ids"): every `e`, and every `q` that is not a stream, written with a
 * `mid` and not yet answered, in the order written, so that after a reconnect to a server that dedupes
 * (`hs.dd`) they can be written again with the same `mid`, in `mid` order.
 *
 * Bounded by `maxUnacked` counted in writes, not in entries: a send stays here only while fewer than
 * `maxUnacked` others were written after it. The server remembers the last `dedupe.maxEntries` ids per client
 * (1000, the same default), so a send pushed out of that many later writes could have left the server's window
 * too, and writing it again could run it twice. A send pushed out stays answerable on its link; if the link drops
 * first it fails with `CHSK_UNCERTAIN`.
 *
 * ```ts
 * const box = new Outbox(1000);
 * box.wrote(o);                 // after the first write of o
 * box.forget(o);                // answered, timed out or unsubscribed
 * for (const o of box.inOrder()) write(o);   // after a reconnect with hs.dd
 * ```
 */
export class Outbox {
  /** mid → the send and its write number, in write order (the oldest first). */
  private readonly kept = new Map<number, { readonly o: Outgoing; readonly n: number }>();
  private writes = 0;
  /** Write number of the oldest kept send, or older (one answered since): the loop below runs only when due. */
  private frontN = Infinity;

  /** @param max `maxUnacked`: how many later writes a send may see and still be sent again (0: none is). */
  constructor(private readonly max: number) {}

  /** True for a send the outbox takes: an event, or a request that is not a stream, with a `mid`. */
  static keeps(o: Outgoing): boolean {
    const m = o.msg;
    return m.mid !== undefined && (m.t === MessageType.Event || m.w === undefined);
  }

  get size(): number {
    return this.kept.size;
  }

  /** A send was written (again, after a reconnect: then nothing changes). */
  wrote(o: Outgoing): void {
    if (!Outbox.keeps(o)) return;
    const mid = o.msg.mid!;
    if (this.kept.get(mid)?.o === o) return;
    const n = ++this.writes;
    if (this.max > 0) {
      this.kept.set(mid, { o, n });
      if (this.kept.size === 1) this.frontN = n;
    }
    // Nothing kept has seen `max` later writes yet (frontN may be older than the real front, never newer).
    if (n - this.max < this.frontN) return;
    // Drop what has: the oldest first, so the loop stops at the first that stays.
    for (const [k, e] of this.kept) {
      if (e.n > n - this.max) {
        this.frontN = e.n;
        return;
      }
      this.kept.delete(k);
    }
    this.frontN = Infinity;
  }

  /** True while `o` would be sent again after a reconnect. */
  has(o: Outgoing): boolean {
    const mid = o.msg.mid;
    return mid !== undefined && this.kept.get(mid)?.o === o;
  }

  /** Forgets `o` (answered, failed, unsubscribed). */
  forget(o: Outgoing): void {
    if (this.has(o)) this.kept.delete(o.msg.mid!);
  }

  /** What to send again, in `mid` order. */
  inOrder(): Outgoing[] {
    return [...this.kept.values()].map((e) => e.o).sort((a, b) => a.msg.mid! - b.msg.mid!);
  }

  /** Empties the outbox and returns what it held, in `mid` order (to fail it). */
  takeAll(): Outgoing[] {
    const all = this.inOrder();
    this.kept.clear();
    return all;
  }
}
