import { interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { ServerConn } from './ServerConn';

/**
 * Server keep-alive for every WebSocket connection on one scheduler timer. Any incoming byte is activity: a
 * message (the core sets `lastActivity`), and what never becomes one, WebSocket pings and pongs and the fragments
 * of a message still being uploaded (the sweep sees the link's `bytesReceived` grow). A connection silent for `idleMs` is
 * pinged; one still silent `timeoutMs` after its ping is reported dead. The check runs every
 * `min(idleMs, timeoutMs) / 4`, so a ping or a close leaves at most a quarter of a window late.
 *
 * Why not the `keepAlive` operator per connection, as the client does: a pipeline and a timer per connection
 * measured about 2.2 KB of heap each (benchmarks/, 2,000 idle connections); this costs two numbers per
 * connection and one timer per server, which runs only while WebSocket connections exist.
 */
export class KeepAliveSweep {
  private readonly conns = new Set<ServerConn>();
  private timer: Subscription | undefined;
  private readonly periodMs: number;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly idleMs: number,
    private readonly timeoutMs: number,
    private readonly ping: (conn: ServerConn) => void,
    private readonly dead: (conn: ServerConn) => void,
  ) {
    this.periodMs = Math.max(1, Math.min(idleMs, timeoutMs) / 4);
  }

  /** Starts watching a connection (its `lastActivity` is now). */
  add(conn: ServerConn): void {
    conn.lastActivity = this.scheduler.now();
    conn.bytesSeen = conn.link.bytesReceived ?? 0;
    conn.pingedAt = -1;
    this.conns.add(conn);
    this.timer ??= interval(this.periodMs, this.scheduler).subscribe(() => this.sweep());
  }

  remove(conn: ServerConn): void {
    if (!this.conns.delete(conn) || this.conns.size > 0) return;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  close(): void {
    this.conns.clear();
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  private sweep(): void {
    const now = this.scheduler.now();
    const gone: ServerConn[] = [];
    for (const c of this.conns) {
      const rx = c.link.bytesReceived;
      if (rx !== undefined && rx !== c.bytesSeen) {
        c.bytesSeen = rx;
        c.lastActivity = now;
      }
      if (c.pingedAt >= 0) {
        if (c.lastActivity >= c.pingedAt) c.pingedAt = -1; // heard from it after the ping
        else if (now - c.pingedAt >= this.timeoutMs) gone.push(c);
        else continue;
      }
      if (c.pingedAt < 0 && now - c.lastActivity >= this.idleMs) {
        c.pingedAt = now;
        this.ping(c);
      }
    }
    for (const c of gone) this.dead(c);
  }
}
