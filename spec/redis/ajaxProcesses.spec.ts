/**
 * Ajax without sticky sessions across three server PROCESSES (spec/redis/support/clusterNode.cjs on the current
 * sources) behind a round-robin balancer that refuses WebSocket upgrades: requests answered, pushes from another
 * process once and in order, and a SIGKILL of the connection's process (its Redis links die with it).
 */
import { filter, firstValueFrom, interval, lastValueFrom, take, toArray } from 'rxjs';
import type { DefaultEventMap } from '../../src';
import { createChannelSocketClient, type ChannelSocketClient } from '../../src/client';
import { waitFor } from '../support/harness';
import { dropPrefix, testPrefix } from '../support/redis';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/roundRobinProxy';
import { NodeProcess, type NodeReport } from './support/processCluster';
import { transpiledSources } from './support/transpiledSources';

jest.setTimeout(40_000);

let lib: { dir: string; remove: () => void };
beforeAll(() => void (lib = transpiledSources()));
afterAll(() => lib.remove());

describe('Ajax over three processes behind a round-robin balancer', () => {
  let prefix: string;
  let nodes: NodeProcess[];
  let proxy: RoundRobinProxy;
  let client: ChannelSocketClient<DefaultEventMap> | undefined;

  beforeEach(async () => {
    prefix = testPrefix();
    nodes = await Promise.all(
      [0, 1, 2].map((i) =>
        NodeProcess.start(lib.dir, { url: 'redis://127.0.0.1:6379', prefix, nodeId: `n${i}`, heartbeatMs: 100, nodeTimeoutMs: 1500, graceMs: 2000 }),
      ),
    );
    proxy = await startRoundRobinProxy(nodes.map((n) => n.url));
  });
  afterEach(async () => {
    client?.disconnect();
    await proxy.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await dropPrefix(prefix);
  });

  const echo = async (c: ChannelSocketClient<DefaultEventMap>, d: unknown): Promise<{ node: string; d: unknown }> =>
    (await lastValueFrom(c.send(['x/echo', d], { timeoutMs: 10_000 }))) as { node: string; d: unknown };

  test('requests and pushes through any process; SIGKILL of the home process: a new handshake elsewhere', async () => {
    const ports: string[] = [];
    nodes.forEach((n) => n.reports$.subscribe((r: NodeReport) => r.type === 'port' && ports.push(`${n.id} ${r.id}`)));
    const c = (client = createChannelSocketClient<DefaultEventMap>({ url: proxy.url, type: 'ajax', params: { uid: 'pat' }, backoff: () => 50 }));
    await waitFor(c.state$, (s) => s.open, 10_000);
    const home = (await echo(c, 0)).node;
    for (let k = 1; k <= 15; k++) expect(await echo(c, k)).toEqual({ node: home, d: k });
    const other = nodes.find((n) => n.id !== home)!;
    const got = firstValueFrom(c.events$.pipe(filter((e) => e[0] === 'x/n'), take(50), toArray()));
    for (let k = 0; k < 50; k++) void other.send('pat', ['x/n', k]);
    expect((await got).map((e) => e[1])).toEqual(Array.from({ length: 50 }, (_, k) => k));
    expect(ports).toEqual([`${home} chsk/uidport-open`]);
    // Replies rode back on the POSTs' answers; the pushes answered polls: both reached every process.
    await waitFor(interval(20), () => new Set(proxy.routed.filter((r) => r.method === 'GET').map((r) => r.backend)).size === 3, 10_000).catch(() => undefined);
    for (const method of ['GET', 'POST']) {
      const reached = new Set(proxy.routed.filter((r) => r.method === method).map((r) => r.backend));
      expect([method, [...reached].sort()]).toEqual([method, [0, 1, 2]]);
    }

    await nodes.find((n) => n.id === home)!.kill();
    await waitFor(c.state$, (s) => s.open && s.lastClose !== null, 20_000);
    const moved = await echo(c, 'after');
    expect(moved.node).not.toBe(home);
    const pushed = firstValueFrom(c.events$.pipe(filter((e) => e[0] === 'x/after')));
    await other.send('pat', ['x/after', 1]);
    await expect(pushed).resolves.toEqual(['x/after', 1]);
  });
});
