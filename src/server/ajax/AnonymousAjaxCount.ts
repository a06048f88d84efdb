/**
 * Ajax connections without a uid, per client IP (`maxAnonymousAjaxPerIp`). Each one holds server state (its
 * queue, token, timers: about 10 KB) from its handshake until it is released (`ajaxGraceMs` after it closed,
 * was upgraded or went silent), and anyone can open one: this cap keeps one address from filling the memory.
 */
export class AnonymousAjaxCount<C extends object> {
  private readonly byIp = new Map<string, number>();
  private readonly ipOf = new WeakMap<C, string>();

  constructor(private readonly max: number) {}

  /** Whether one more anonymous connection from `ip` is allowed. */
  hasRoom(ip: string): boolean {
    return this.max === Infinity || (this.byIp.get(ip) ?? 0) < this.max;
  }

  /** Counts `conn` against `ip` until {@link release}. */
  add(conn: C, ip: string): void {
    if (this.max === Infinity) return;
    this.byIp.set(ip, (this.byIp.get(ip) ?? 0) + 1);
    this.ipOf.set(conn, ip);
  }

  /** Stops counting `conn` (no-op for a connection that was not counted, or released already). */
  release(conn: C): void {
    const ip = this.ipOf.get(conn);
    if (ip === undefined) return;
    this.ipOf.delete(conn);
    const n = (this.byIp.get(ip) ?? 1) - 1;
    if (n > 0) this.byIp.set(ip, n);
    else this.byIp.delete(ip);
  }
}
