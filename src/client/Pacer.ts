import type { RateLimitInfo } from '../protocol/messages';

/**
 * The client's side of the server's rate limit (`hs.rl`, issue 10 #5): a token bucket the client spends one
 * token from for every event, request and ping it writes, so that what it writes never exceeds what the
 * server allows, a full offline buffer flushed on reconnect included. Refilled lazily from a clock (the
 * scheduler's `now()`), so it needs no timer of its own and runs in virtual time.
 *
 * It keeps a margin below the stated limit: 95 % of the rate, and a reserve of one second of the rate (at most
 * half the burst) kept out of the burst. The server counts tokens when it reads frames, and a stall bunches frames
 * the client spaced out (a busy server event loop, a delayed TCP segment, an Ajax POST carrying several):
 * everything written during the stall is read at once. The reserve absorbs a stall of about a second (at the
 * default 200/s, burst 400 the client bursts 200), and the slower rate rebuilds it over time
 * (spec/client/PacerJitter.spec.ts; 90 % of the burst, as before, absorbed 0.2 s and a loaded CI machine saw 47
 * refusals of 600 flushed sends). A limit whose rate is tiny beside its burst (3 at once, then one an hour)
 * keeps nearly its whole burst: a stall there bunches next to nothing.
 A bucket starts full at each handshake, as the server's does for each new connection.
 *
 * ```ts
 * const pacer = new Pacer(() => scheduler.now());
 * pacer.reset({ r: 200, b: 400 });   // from the handshake; reset(undefined): no limit
 * if (pacer.take()) write(next); else scheduler.schedule(pump, pacer.waitMs());
 * ```
 */
export class Pacer {
  /** The reserve kept out of the burst, in seconds of the stated rate (and never more than half the burst). */
  static readonly RESERVE_S = 1;
  /** Share of the stated rate the client uses. */
  static readonly RATE_SHARE = 0.95;
  private perMs = Infinity;
  private burst = Infinity;
  private tokens = Infinity;
  private last = 0;

  constructor(private readonly now: () => number) {}

  /** Adopts a handshake's limit (none when `rl` is absent or malformed), with a full bucket. */
  reset(rl: RateLimitInfo | undefined): void {
    const ok = rl !== undefined && typeof rl.r === 'number' && rl.r > 0 && typeof rl.b === 'number' && rl.b >= 1;
    this.perMs = ok ? (rl.r * Pacer.RATE_SHARE) / 1000 : Infinity;
    this.burst = ok ? Math.max(1, Math.ceil(rl.b - Math.min(rl.b / 2, rl.r * Pacer.RESERVE_S))) : Infinity;
    this.tokens = this.burst;
    this.last = this.now();
  }

  private refill(): void {
    const t = this.now();
    // A clock that goes backwards grants nothing.
    if (t > this.last) {
      if (this.perMs !== Infinity) this.tokens = Math.min(this.burst, this.tokens + (t - this.last) * this.perMs);
      this.last = t;
    }
  }

  /** Takes a token for a message that may wait; false when there is none yet (see {@link waitMs}). */
  take(): boolean {
    if (this.perMs === Infinity) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Takes a token for a message that must not wait (a keep-alive ping), going into debt when there is none:
   * the messages that can wait then wait that much longer, so the rate holds on average.
   */
  force(): void {
    if (this.perMs === Infinity) return;
    this.refill();
    this.tokens -= 1;
  }

  /** Milliseconds until {@link take} can succeed (0 when it can now); at least 1 when it cannot. */
  waitMs(): number {
    if (this.perMs === Infinity) return 0;
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perMs));
  }
}
