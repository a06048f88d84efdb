import { UidsView } from '../server/adapter/UidsView';

/** Listing bits of one node for one uid key: 1 = ws, 2 = ajax. */
export const WS = 1;
export const AJAX = 2;

/**
 * This node's replica of the cluster's presence: for each uid key, which nodes list it and on which
 * transports, fed by the nodes' deltas on the bus (idempotent: "node N lists uid U with bits B") and by a full
 * read after (re)subscribing. Drives the cluster-wide `connectedUids$` (O(nodes of the uid) per change) and
 * tells a push which nodes to reach.
 */
export class ClusterView {
  readonly view = new UidsView();
  private readonly uids = new Map<string, Map<string, number>>();
  /** For each full read under way: the (node, key) pairs that deltas changed since it began. */
  private readonly reads = new Set<Set<string>>();

  /** @param self this node's id: its own listings come from its presence, never from a read. */
  constructor(private readonly self: string) {}

  /** Nodes that list `key`. */
  nodesOf(key: string): Iterable<string> {
    return this.uids.get(key)?.keys() ?? [];
  }

  /** Every node that lists some uid. */
  knownNodes(): Set<string> {
    const out = new Set<string>();
    for (const m of this.uids.values()) for (const n of m.keys()) out.add(n);
    return out;
  }

  /** Node `node` lists `key` with `bits` (0: not at all). Publishes the snapshot when a set changed. */
  apply(node: string, key: string, bits: number, publish = true): void {
    for (const touched of this.reads) touched.add(pair(node, key));
    this.set(node, key, bits, publish);
  }

  /**
   * A full read of the cluster's presence begins (after subscribing, so every later delta reaches us): answers
   * the token to give {@link replace} with what was read.
   */
  beginRead(): ReadToken {
    const touched = new Set<string>();
    this.reads.add(touched);
    return touched;
  }

  /**
   * Replaces the replica with `state` (uid key → node → bits) as read since `token`, publishing once. A pair that
   * a delta changed during the read keeps the delta's value: the read may have seen that key before the write
   * the delta announces (a later write always publishes a later delta, so keeping the last delta is never stale
   * for long). This node's own listings stay as its presence made them.
   */
  replace(state: Map<string, Map<string, number>>, token: ReadToken): void {
    this.reads.delete(token);
    const keep = (node: string, key: string): boolean => node === this.self || token.has(pair(node, key));
    for (const [key, m] of this.uids) {
      for (const node of [...m.keys()]) if (!state.get(key)?.has(node) && !keep(node, key)) this.set(node, key, 0, false);
    }
    for (const [key, m] of state) for (const [node, bits] of m) if (!keep(node, key)) this.set(node, key, bits, false);
    this.view.publish();
  }

  /** A read that failed: stop tracking it. */
  abandon(token: ReadToken): void {
    this.reads.delete(token);
  }

  close(): void {
    this.reads.clear();
    this.uids.clear();
    this.view.close();
  }

  private set(node: string, key: string, bits: number, publish: boolean): void {
    let m = this.uids.get(key);
    if (bits === 0) {
      if (!m?.delete(node)) return;
      if (m.size === 0) this.uids.delete(key);
    } else {
      if (!m) this.uids.set(key, (m = new Map()));
      if (m.get(node) === bits) return;
      m.set(node, bits);
    }
    let ws = false;
    let ajax = false;
    if (m) for (const b of m.values()) (ws ||= (b & WS) !== 0), (ajax ||= (b & AJAX) !== 0);
    if (this.view.set(key, ws, ajax) && publish) this.view.publish();
  }
}

/** What {@link ClusterView.beginRead} answers: the pairs deltas touched during that read. */
export type ReadToken = Set<string>;

const pair = (node: string, key: string): string => `${node}\n${key}`;
