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

  /** Replaces the whole replica with `state` (uid key → node → bits), publishing once. */
  replace(state: Map<string, Map<string, number>>): void {
    for (const [key, m] of this.uids) {
      for (const node of [...m.keys()]) if (!state.get(key)?.has(node)) this.apply(node, key, 0, false);
    }
    for (const [key, m] of state) for (const [node, bits] of m) this.apply(node, key, bits, false);
    this.view.publish();
  }

  close(): void {
    this.uids.clear();
    this.view.close();
  }
}
