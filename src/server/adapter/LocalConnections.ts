import type { TransportType } from '../../protocol/events';
import type { ServerConn } from '../ServerConn';

const NONE: readonly ServerConn[] = [];

/**
 * This process's connections: a map from uid key to that user's connections. A uid with one connection (the
 * common case) maps to it directly; a Set is made for the second (a Set per uid cost about 300 B per
 * connection). Every adapter keeps its local connections here; the push path walks them.
 */
export class LocalConnections {
  private readonly byKey = new Map<string, ServerConn | Set<ServerConn>>();
  private readonly all = new Set<ServerConn>();
  /** Local connections per transport (kept by add, remove and switched). */
  readonly perTransport = { ws: 0, ajax: 0 };

  add(conn: ServerConn): void {
    if (this.all.has(conn)) return;
    this.all.add(conn);
    this.perTransport[conn.transport]++;
    const cur = this.byKey.get(conn.key);
    if (cur === undefined) this.byKey.set(conn.key, conn);
    else if (cur instanceof Set) cur.add(conn);
    else if (cur !== conn) this.byKey.set(conn.key, new Set([cur, conn]));
  }

  remove(conn: ServerConn): void {
    if (!this.all.delete(conn)) return;
    this.perTransport[conn.transport]--;
    const cur = this.byKey.get(conn.key);
    if (cur === conn) this.byKey.delete(conn.key);
    else if (cur instanceof Set && cur.delete(conn) && cur.size === 0) this.byKey.delete(conn.key);
  }

  /** Local connections of a uid key (`NIL_UID` for users without a uid). */
  connectionsOf(key: string): Iterable<ServerConn> {
    const cur = this.byKey.get(key);
    return cur === undefined ? NONE : cur instanceof Set ? cur : [cur];
  }

  /** Every local connection. */
  allConnections(): Iterable<ServerConn> {
    return this.all;
  }

  /** Number of local connections of a uid key on one transport. */
  count(key: string, transport: TransportType): number {
    let n = 0;
    for (const c of this.connectionsOf(key)) if (c.transport === transport) n++;
    return n;
  }

  /** Number of local connections of a uid key. */
  countOf(key: string): number {
    const cur = this.byKey.get(key);
    return cur === undefined ? 0 : cur instanceof Set ? cur.size : 1;
  }

  /** A local connection moved from transport `from` to its current one (Ajax → WebSocket upgrade). */
  switched(conn: ServerConn, from: TransportType): void {
    if (!this.all.has(conn) || from === conn.transport) return;
    this.perTransport[from]--;
    this.perTransport[conn.transport]++;
  }
}
