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

/** The default adapter: a map from uid key to that user's connections in this process. */
export class MemoryAdapter implements ServerAdapter {
  private readonly byKey = new Map<string, Set<ServerConn>>();
  private readonly all = new Set<ServerConn>();

  add(conn: ServerConn): void {
    this.all.add(conn);
    let set = this.byKey.get(conn.key);
    if (!set) this.byKey.set(conn.key, (set = new Set()));
    set.add(conn);
  }

  remove(conn: ServerConn): void {
    this.all.delete(conn);
    const set = this.byKey.get(conn.key);
    if (set && set.delete(conn) && set.size === 0) this.byKey.delete(conn.key);
  }

  connectionsOf(key: string): Iterable<ServerConn> {
    return this.byKey.get(key) ?? [];
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
