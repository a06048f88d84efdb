/**
 * The client's message ids (PROTOCOL.md, "Message ids"): every `e` and `q` it writes carries one, a safe
 * integer ≥ 1 that increases per client instance and is never reused by that client, across reconnects. The
 * server quotes it in its acknowledgement (`a`) and refusals (`x`); resending after a reconnect and the server's
 * duplicate check key on it, which is why an id is taken once, when the send is made, and kept for its life.
 *
 * An id is never reused under a client id: a client whose id the app chose (and may present again after a
 * page reload) starts at `floor(now) × 1000 + 1` rather than 1, so a reloaded page continues above the ids of
 * the page it replaces as long as that one wrote fewer than 1,000 messages per millisecond of its life. A
 * random client id is never presented twice and starts at 1 (short ids: a byte or two on the wire).
 *
 * ```ts
 * const ids = new MessageIds(1);
 * ids.next(); // 1
 * ids.next(); // 2
 * ```
 */
export class MessageIds {
  private last: number;

  /** @param first the first id handed out: a safe integer ≥ 1. */
  constructor(first: number) {
    if (!Number.isSafeInteger(first) || first < 1) throw new RangeError(`the first message id must be a safe integer >= 1, got ${String(first)}`);
    this.last = first - 1;
  }

  /** The first id of a client: 1 for a random client id, time-based for one the app chose (see above). */
  static firstFor(chosenClientId: boolean, nowMs: number): number {
    if (!chosenClientId || !(nowMs >= 0)) return 1;
    return Math.min(Math.floor(nowMs), 2 ** 42) * 1000 + 1;
  }

  /** The next id. Throws once 2^53-1 ids are spent (a client would need ~285 years at a million a second). */
  next(): number {
    if (this.last >= Number.MAX_SAFE_INTEGER) throw new RangeError('message ids exhausted (2^53-1)');
    return ++this.last;
  }
}
