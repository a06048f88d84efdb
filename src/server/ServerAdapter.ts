import type { ServerConn } from './ServerConn';

/**
 * Where the server keeps its connections, and how a push finds them. The in-memory adapter is the default;
 * a cluster adapter (Redis) implements the same methods and fans pushes out to other nodes in
 * `connectionsOf`/`allConnections` callers' place, without touching the core.
 */
export interface ServerAdapter {
  add(conn: ServerConn): void;
  remove(conn: ServerConn): void;
  /** Local connections of a uid key (`NIL_UID` for users without a uid). */
  connectionsOf(key: string): Iterable<ServerConn>;
  /** Every local connection. */
  allConnections(): Iterable<ServerConn>;
  /** Number of local connections of a uid key on one transport. */
  count(key: string, transport: ServerConn['transport']): number;
}

const NONE: readonly ServerConn[] = [];

/**
 * The default adapter: a map from uid key to that user's connections in this process. A uid with one
 * connection (the common case) maps to it directly; a Set is made for the second (a Set per uid cost about
 * 300 B per connection).
 */
export class MemoryAdapter implements ServerAdapter {
  private readonly byKey = new Map<string, ServerConn | Set<ServerConn>>();
  private readonly all = new Set<ServerConn>();

  add(conn: ServerConn): void {
    this.all.add(conn);
    const cur = this.byKey.get(conn.key);
    if (cur === undefined) this.byKey.set(conn.key, conn);
    else if (cur instanceof Set) cur.add(conn);
    else if (cur !== conn) this.byKey.set(conn.key, new Set([cur, conn]));
  }

  remove(conn: ServerConn): void {
    this.all.delete(conn);
    const cur = this.byKey.get(conn.key);
    if (cur === conn) this.byKey.delete(conn.key);
    else if (cur instanceof Set && cur.delete(conn) && cur.size === 0) this.byKey.delete(conn.key);
  }

  connectionsOf(key: string): Iterable<ServerConn> {
    const cur = this.byKey.get(key);
    return cur === undefined ? NONE : cur instanceof Set ? cur : [cur];
  }

  allConnections(): Iterable<ServerConn> {
    return this.all;
  }

  count(key: string, transport: ServerConn['transport']): number {
    let n = 0;
    for (const c of this.connectionsOf(key)) if (c.transport === transport) n++;
    return n;
  }
}
