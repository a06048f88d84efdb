/**
 * How a node's replica of the cluster's presence recovers (three nodes on one Redis, in this process): a full
 * read racing other nodes' deltas, a node forgotten while it was alive, a subscriber link cut on its own. Each
 * interleaving is forced on the real links (a read held until a delta has arrived, heartbeats paused, one
 * connection killed), never waited for by luck.
 */
import { Redis } from 'ioredis';
import type { DefaultEventMap } from '../../src';
import type { ChannelSocketClient } from '../../src/client';
import type { ServerEventMsg } from '../../src/protocol/events';
import { createRedisAdapter, type RedisAdapter } from '../../src/redis';
import { dropPrefix, testPrefix } from '../support/redis';
import { startServer, waitFor, type TestServer } from '../support/harness';

jest.setTimeout(20_000);

interface Node {
  s: TestServer<DefaultEventMap>;
  adapter: RedisAdapter;
}

/** The adapter's links and steps a test reaches into to force an interleaving. */
interface Internals {
  cmd: Redis;
  sub: Redis;
  /** Its NodePresence: heartbeat ticks and the presence read. */
  nodes: { tick(): Promise<void>; resync(): Promise<void> };
}
const inside = (n: Node): Internals => n.adapter as unknown as Internals;

let prefix: string;
let nodes: Node[];
let admin: Redis;

async function startNode(): Promise<Node> {
  const adapter = createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 600 });
  const s = await startServer<DefaultEventMap>({ adapter, wsBatchMs: 0, wsGraceMs: 100, ajaxGraceMs: 100 });
  await adapter.whenReady();
  return { s, adapter };
}

beforeEach(async () => {
  prefix = testPrefix();
  admin = new Redis();
  nodes = [await startNode(), await startNode(), await startNode()];
});
afterEach(async () => {
  await Promise.all(nodes.map((n) => n.s.stop().catch(() => undefined)));
  admin.disconnect();
  await dropPrefix(prefix);
});

const connect = (i: number, uid: string): Promise<ChannelSocketClient<DefaultEventMap>> => nodes[i]!.s.connected({ params: { uid } });
const listedOn = (ns: Node[], uid: string, ms?: number) => Promise.all(ns.map((n) => waitFor(n.s.chsk.connectedUids$, (u) => u.any.has(uid), ms)));
const goneOn = (ns: Node[], uid: string) => Promise.all(ns.map((n) => waitFor(n.s.chsk.connectedUids$, (u) => !u.any.has(uid))));

/** Kills one of a node's Redis connections from the server side (CLIENT KILL), as a network cut does. */
async function kill(link: Redis): Promise<void> {
  const id = await link.client('ID');
  await admin.call('CLIENT', 'KILL', 'ID', String(id));
}

test('a delta that arrives while a node reads the whole presence is not undone by that read', async () => {
  const a = inside(nodes[0]!);
  // Hold node 0's next full read after its last SCAN page: what it read cannot contain a uid registered later.
  let reading!: () => void;
  const read = new Promise<void>((r) => (reading = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const scan = a.cmd.scan.bind(a.cmd) as (...args: unknown[]) => Promise<[string, string[]]>;
  (a.cmd as unknown as { scan: unknown }).scan = async (...args: unknown[]) => {
    const page = await scan(...args);
    if (page[0] === '0') reading(), await gate;
    return page;
  };
  let resynced!: () => void;
  const done = new Promise<void>((r) => (resynced = r));
  const resync = a.nodes.resync.bind(a.nodes);
  a.nodes.resync = () => resync().finally(() => resynced());

  await kill(a.cmd); // node 0 reconnects, re-registers its users and reads the presence again
  await read;
  await connect(1, 'late'); // registered on node 1 after node 0's read
  await listedOn([nodes[0]!], 'late'); // its delta reached node 0 during the read
  release();
  await done;
  expect(nodes[0]!.s.chsk.connectedUids$.value.any.has('late')).toBe(true);
});

test('a node forgotten while alive (no heartbeat within nodeTimeoutMs) registers its users again: uidport-close, then -open', async () => {
  await connect(2, 'sly');
  await listedOn(nodes, 'sly');
  const ports: string[] = [];
  nodes.forEach((n, i) => n.s.chsk.events$.subscribe((m: ServerEventMsg) => m.id.startsWith('chsk/uidport-') && ports.push(`${m.id.slice(13)}@${i}`)));
  // Node 2 stalls (a long GC pause, a loaded machine): it sends no heartbeat, and the others sweep it.
  const n2 = inside(nodes[2]!);
  const tick = n2.nodes.tick.bind(n2.nodes);
  let stalled = true;
  n2.nodes.tick = () => (stalled ? Promise.resolve() : tick());
  await goneOn(nodes.slice(0, 2), 'sly'); // the sweeper emitted the uidport-close as it swept
  const reopened = waitFor(nodes[2]!.s.chsk.events$, (m) => m.id === 'chsk/uidport-open');
  stalled = false;
  // Its next heartbeat finds it forgotten: it registers 'sly' again, and every node lists it again.
  await listedOn(nodes, 'sly');
  await reopened;
  expect(ports.map((p) => p.split('@')[0])).toEqual(['close', 'open']);
  expect(ports[1]).toBe('open@2');
});

test('a subscriber link cut on its own (a slow-subscriber kill, say): once back, the node reads the presence again', async () => {
  const b = inside(nodes[1]!);
  // Node 1's subscriber stays away until a delta has been published without it (no luck involved).
  const retry = b.sub.options.retryStrategy;
  b.sub.options.retryStrategy = () => null;
  const ended = new Promise((r) => b.sub.once('end', r));
  await kill(b.sub);
  await ended;
  await connect(0, 'missed');
  await listedOn([nodes[2]!], 'missed'); // published, and lost to node 1
  b.sub.options.retryStrategy = retry;
  await b.sub.connect();
  await listedOn([nodes[1]!], 'missed');
  // And it listens again: a later arrival reaches it as a delta.
  await connect(2, 'later');
  await listedOn([nodes[1]!], 'later');
});
