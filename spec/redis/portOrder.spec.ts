/**
 * On one process `chsk/uidport-open` is on `events$` before any event of the connection that caused it; on Redis
 * the arrival is decided by a script (a round trip), so without care a client's first events overtook it. Here
 * the server's Redis link goes through a slow fault proxy (every chunk 60 ms late), so the decision is
 * reliably slower than the client's first events.
 */
import type { DefaultEventMap } from '../../src';
import { createRedisAdapter } from '../../src/redis';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { FaultProxy } from '../support/faultProxy';
import { rawClient } from '../support/rawClient';
import { startServer, waitFor, type TestServer } from '../support/harness';
import { dropPrefix, testPrefix } from '../support/redis';

jest.setTimeout(20_000);

let prefix: string;
let proxy: FaultProxy;
let s: TestServer<DefaultEventMap>;

async function start(resume: boolean): Promise<void> {
  prefix = testPrefix();
  proxy = await FaultProxy.start(6379);
  const adapter = createRedisAdapter({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: prefix, heartbeatMs: 1000, nodeTimeoutMs: 5000 });
  s = await startServer<DefaultEventMap>({ adapter, wsBatchMs: 0, ...(resume ? {} : { resume: false }) });
  await adapter.whenReady();
  proxy.slowMs = 60;
  proxy.mode = 'slow';
}
afterEach(async () => {
  proxy.mode = 'forward';
  await s.stop();
  await proxy.close();
  await dropPrefix(prefix);
});

// A raw WebSocket client sends its first events the moment the socket opens, before the handshake arrives.
test.each([true, false])('uidport-open comes before the first events of the connection that caused it (resume %s)', async (resume) => {
  await start(resume);
  const order: string[] = [];
  s.chsk.events$.subscribe((m) => order.push(`${m.id}${m.id.startsWith('chsk/') ? '' : `:${String(m.data)}`}`));
  const raw = await rawClient(s.url, jsonPacker, `cid=raw-order-${String(resume)}&uid=ord`);
  raw.sendMsg({ t: 'e', ev: ['x/first', 1] });
  raw.sendMsg({ t: 'e', ev: ['x/first', 2] });
  await waitFor(s.chsk.events$, () => order.filter((o) => o.startsWith('x/')).length === 2 && order.includes('chsk/uidport-open'));
  expect(order).toEqual(['chsk/uidport-open', 'x/first:1', 'x/first:2']);
  raw.ws.close();
});
