/**
 * Message-id dedupe across nodes (RedisDedupe behind the core's dedupe gate): a message re-sent to another
 * node after a cut is not handled twice. Two real servers on one Redis prefix, raw WebSocket sessions.
 */
import type { DefaultEventMap, ServerEventMsg } from '../../src';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { msgpackPacker } from '../../src/packers/msgpack';
import type { Packer } from '../../src/packers/Packer';
import { createRedisAdapter } from '../../src/redis';
import { startServer, type TestServer } from '../support/harness';
import { raw, waitUntil } from '../support/rawSession';
import { dropPrefix, testPrefix } from '../support/redis';

jest.setTimeout(20_000);

describe('dedupe on two nodes', () => {
  let prefix: string;
  let nodes: Array<TestServer<DefaultEventMap>>;
  const handled: string[] = [];
  const held: ServerEventMsg[] = [];

  async function startNodes(packer: Packer): Promise<void> {
    prefix = testPrefix();
    handled.length = held.length = 0;
    nodes = [];
    for (let i = 0; i < 2; i++) {
      const adapter = createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 600 });
      const s = await startServer<DefaultEventMap>({ adapter, wsBatchMs: 0, packer });
      await adapter.whenReady();
      s.chsk.events$.subscribe((m) => {
        if (m.id.startsWith('chsk/')) return;
        handled.push(`${i}:${String(m.data)}`);
        if (m.id === 'x/hold') held.push(m as ServerEventMsg);
        else if (m.id === 'x/bytes') m.reply?.({ from: i, bytes: new Uint8Array([1, 2, 255]) });
        else m.reply?.(`node ${i} answered ${String(m.data)}`);
      });
      nodes.push(s);
    }
  }
  beforeEach(() => startNodes(jsonPacker));
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await dropPrefix(prefix);
  });

  it('a request answered on node 0 and re-sent to node 1 gets node 0 answer; an emit is acked, not handled again', async () => {
    const a = await raw(nodes[0]!.url, jsonPacker, 'tab1', 'ann');
    a.send({ t: 'q', rid: 1, mid: 100, ev: ['x/echo', 'q'] }, { t: 'e', mid: 101, ev: ['x/note', 'e'] });
    await a.next((m) => m.t === 'r');
    await a.next((m) => m.t === 'a');
    await a.close();
    const b = await raw(nodes[1]!.url, jsonPacker, 'tab1', 'ann');
    b.send({ t: 'q', rid: 1, mid: 100, ev: ['x/echo', 'q'] }, { t: 'e', mid: 101, ev: ['x/note', 'e'] }, { t: 'e', mid: 102, ev: ['x/note', 'new'] });
    expect(await b.next((m) => m.t === 'r')).toEqual({ t: 'r', rid: 1, d: 'node 0 answered q' });
    await b.next((m) => m.t === 'a' && m.mid === 102);
    expect(b.got.filter((m) => m.t === 'a').map((m) => m.mid)).toEqual([101, 102]);
    expect(handled).toEqual(['0:q', '0:e', '1:new']);
    await b.close();
  });

  it('a request still being handled on node 0, re-sent to node 1, gets the answer node 0 gives later', async () => {
    const a = await raw(nodes[0]!.url, jsonPacker, 'tab2', 'bob');
    a.send({ t: 'q', rid: 5, mid: 200, ev: ['x/hold', 'slow'] });
    await waitUntil(() => held.length === 1);
    await a.close();
    const b = await raw(nodes[1]!.url, jsonPacker, 'tab2', 'bob');
    b.send({ t: 'q', rid: 6, mid: 200, ev: ['x/hold', 'slow'] });
    b.send({ t: 'pi' });
    await b.next((m) => m.t === 'po');
    held[0]!.reply!('done on node 0');
    expect(await b.next((m) => m.t === 'r')).toEqual({ t: 'r', rid: 6, d: 'done on node 0' });
    expect(handled).toEqual(['0:slow']);
    await b.close();
  });

  it('a stored reply with binary data (msgpack) comes back from the other node as it was given', async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await startNodes(msgpackPacker);
    const a = await raw(nodes[0]!.url, msgpackPacker, 'tab3', 'cal');
    a.send({ t: 'q', rid: 1, mid: 300, ev: ['x/bytes'] });
    const first = await a.next((m) => m.t === 'r');
    await a.close();
    const b = await raw(nodes[1]!.url, msgpackPacker, 'tab3', 'cal');
    b.send({ t: 'q', rid: 2, mid: 300, ev: ['x/bytes'] });
    const again = await b.next((m) => m.t === 'r');
    expect(again).toEqual({ ...first, rid: 2 });
    expect((again.d as { bytes: Uint8Array }).bytes).toEqual(new Uint8Array([1, 2, 255]));
    expect(handled).toEqual(['0:undefined']);
    await b.close();
  });
});
