import type { ClientRecovery } from './ClientState';

type Slot = 'u' | 'b';

interface Position {
  offset: number;
  epoch: string;
}

const isOffset = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function positionOf(x: unknown): Position | undefined {
  if (!Array.isArray(x) || x.length !== 2 || !isOffset(x[0]) || typeof x[1] !== 'string' || x[1] === '') return undefined;
  return { offset: x[0], epoch: x[1] };
}

/**
 * The client's positions in its streams (PROTOCOL.md, "Offsets and resume"): the uid's pushes (`u`) and the
 * broadcasts (`b`), each `[offset, epoch]` as the handshake's `rs` started them and every push's `seq` moved
 * them. It says which pushes to deliver (a push at or below the position was delivered already: dropped), what
 * to present when reconnecting (the `rs` query parameter), and what a reopen recovered. Untrusted input (a
 * malformed `rs`, `rc` or `seq`) is read as absent, never thrown.
 */
export class ResumeState {
  private readonly at: Partial<Record<Slot, Position>> = {};
  /** Replayed pushes still to come: the first `rc.n` events after a handshake, which `rs` already counts. */
  private replaying = 0;
  /** A gap was seen on this link: nothing more is delivered until the next handshake (see {@link accept}). */
  private resyncing = false;

  /** The epoch of a stream's known position (the outbox compares it across a reconnect: a new one is a new server state). */
  epoch(slot: Slot): string | undefined {
    const e = this.at[slot]?.epoch;
    return e === '?' ? undefined : e;
  }

  /** The `rs` query parameter to present on the next connect; undefined when no position is known. */
  query(): string | undefined {
    const { u, b } = this.at;
    if (!u && !b) return undefined;
    return JSON.stringify({ ...(u ? { u: [u.offset, u.epoch] } : {}), ...(b ? { b: [b.offset, b.epoch] } : {}) });
  }

  /**
   * A handshake arrived: its `rs` gives the positions this connection starts from (after the replay that
   * follows it: the next `rc.n` pushes are delivered as they come); a server without it keeps no logs, and
   * every position is forgotten. Answers the recovery to
   * report for a reopen: the server's `rc` verdict when it has one, else not recovered.
   */
  handshake(rs: unknown, rc: unknown): ClientRecovery {
    const r = typeof rs === 'object' && rs !== null ? (rs as Record<string, unknown>) : {};
    for (const slot of ['u', 'b'] as const) {
      const p = positionOf(r[slot]);
      if (p) this.at[slot] = p;
      else delete this.at[slot];
    }
    const v = typeof rc === 'object' && rc !== null ? (rc as Record<string, unknown>) : undefined;
    this.replaying = 0;
    this.resyncing = false;
    if (!v || typeof v.ok !== 'boolean' || !isOffset(v.n)) return { recovered: false, replayed: 0 };
    this.replaying = v.n;
    return { recovered: v.ok, replayed: v.n };
  }

  /**
   * A push arrived: `'deliver'` it, `'drop'` it, or `'gap'`. A push with a `seq` at or below its stream's
   * position was delivered already (dropped); the next one moves the position. One beyond the next is a gap:
   * pushes were lost on this link (a server dropping frames for a slow reader, `slowConsumer: 'drop'`); it is
   * not delivered, nor anything after it on this link, and the caller reconnects, presenting the position
   * before the gap, so the server replays the missing ones first. A `seq` of 1 at a position beyond it is a
   * stream that started over (a new epoch the handshake could not tell): delivered, and the position's epoch is
   * forgotten, so the next reconnect presents a position the server answers `recovered: false` to. At
   * position 1 a `seq` of 1 may be either that or a copy: treated as a gap (a resync), never guessed.
   */
  accept(m: { readonly seq?: unknown; readonly st?: unknown }): 'deliver' | 'drop' | 'gap' {
    if (this.resyncing) return 'drop';
    // The replay follows the handshake, whose `rs` is the position after it: delivered as it comes.
    if (this.replaying > 0) return void this.replaying--, 'deliver';
    const seq = m.seq;
    if (seq === undefined || !isOffset(seq) || seq === 0) return 'deliver';
    const p = this.at[m.st === 'b' ? 'b' : 'u'];
    if (!p) return 'deliver';
    if (seq === p.offset + 1) {
      p.offset = seq;
      return 'deliver';
    }
    if (seq === 1 && p.offset > 1) {
      p.offset = 1;
      p.epoch = '?';
      return 'deliver';
    }
    // At position 1, seq 1 is either a copy of push 1 or the first push of a stream that started over: the
    // two cannot be told apart, so neither is guessed; a resync asks the server (a replay, or recovered: false).
    // (Once a restart was seen, epoch '?', the stream is already known to have started over: a copy.)
    if (seq === 1 && p.offset === 1 && p.epoch !== '?') {
      this.resyncing = true;
      return 'gap';
    }
    if (seq <= p.offset) return 'drop';
    this.resyncing = true;
    return 'gap';
  }
}
