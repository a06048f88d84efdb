/**
 * The dedupe epoch across the cluster (`hs.dd`; PROTOCOL.md, "Message ids"): every node of one Redis names the
 * same epoch, so a client moved to another node sends again what a cut left unanswered and the handler runs
 * once, also with `resume: false` (no log epoch to go by); a lost record (as in a flushed Redis) is a new epoch,
 * so nothing is sent into a record that forgot it (`CHSK_UNCERTAIN`). Two real nodes, real clients through the TCP fault proxy, every transport and packer.
 */
import { BehaviorSubject, lastValueFrom } from 'rxjs';
import { ErrorCode, type ChannelError, type DefaultEventMap } from '../../src';
import type { ChannelSocketClient } from '../../src/client';
import { exponentialBackoff } from '../../src/operators/exponentialBackoff';
import { createRedisAdapter } from '../../src/redis';
import { FaultProxy } from '../support/faultProxy';
import { MATRIX, startServer, waitFor, type TestServer } from '../support/harness';
import { raw } from '../support/rawSession';
import { dropPrefix, testPrefix } from '../support/redis';

jest.setTimeout(30_000);
const LONG = 15_000;

describe.each(MATRIX.filter((m) => m.type !== 'auto'))('the dedupe epoch on two nodes over $type / $packerName', ({ type, packer }) => {
  let prefix: string;
  let nodes: Array<TestServer<DefaultEventMap>>;
  let proxy: FaultProxy;
  let calls$: BehaviorSubject<string[]>;
  let release: () => void;

  beforeEach(async () => {
    prefix = testPrefix();
    calls$ = new BehaviorSubject<string[]>([]);
    const gate = new Promise<void>((r) => (release = r));
    nodes = [];
    for (let k = 0; k < 2; k++) {
      const adapter = createRedisAdapter({ keyPrefix: prefix, heartbeatMs: 100, nodeTimeoutMs: 600 });
      const s = await startServer<DefaultEventMap>({ adapter, packer, wsBatchMs: 0, ajaxBatchMs: 0, resume: false });
      await adapter.whenReady();
      s.chsk.events$.subscribe((m) => {
        if (m.id !== 'x/slow') return;
        calls$.next([...calls$.value, `node ${k}`]);
        void gate.then(() => m.reply?.(`answered on node ${k}`));
      });
      nodes.push(s);
    }
    proxy = await FaultProxy.start(Number(new URL(nodes[0]!.url).port));
  });
  afterEach(async () => {
    await proxy.close();
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await dropPrefix(prefix);
  });

  const client = (uid: string): ChannelSocketClient<DefaultEventMap> =>
    nodes[1]!.client({
      url: `http://127.0.0.1:${proxy.port}/chsk`,
      params: { uid },
      type,
      packer,
      backoff: exponentialBackoff({ initialMs: 20, maxMs: 200, jitter: 'equal' }),
    });
  const settle = (c: ChannelSocketClient<DefaultEventMap>): Promise<unknown> =>
    lastValueFrom(c.send(['x/slow', 1], { timeoutMs: LONG })).catch((e: ChannelError) => e.code);
  const to = (k: number): void => proxy.retarget(Number(new URL(nodes[k]!.url).port));

  test('every node names the same epoch', async () => {
    const a = await raw(nodes[0]!.url, packer, 'c-a', 'u');
    const b = await raw(nodes[1]!.url, packer, 'c-b', 'u');
    expect(typeof a.hs.dd).toBe('string');
    expect(b.hs.dd).toBe(a.hs.dd);
    await a.close();
    await b.close();
  });

  test('resume: false, the client moved to another node: the request is sent again there and handled once', async () => {
    const c = client('mover');
    await waitFor(c.state$, (s) => s.open, LONG);
    const answer = settle(c);
    await waitFor(calls$, (x) => x.length === 1, LONG);
    to(1);
    proxy.reset();
    await waitFor(c.state$, (s) => s.open && s.reconnectAttempt === 0 && s.lastClose !== null, LONG);
    release();
    await expect(answer).resolves.toBe('answered on node 0');
    expect(calls$.value).toEqual(['node 0']);
  });

  // Over Ajax a reset only fails a poll: the connection lives on (its token is found on the other node) and there
  // is no new handshake, so the request is answered on it as usual.
  const wsOnly = type === 'ws' ? test : test.skip;
  wsOnly('a lost dedupe record (its keys gone, as in a flush) is a new epoch: the unanswered request errors CHSK_UNCERTAIN and is not handled again', async () => {
    const c = client('flushed');
    await waitFor(c.state$, (s) => s.open, LONG);
    const answer = settle(c);
    await waitFor(calls$, (x) => x.length === 1, LONG);
    // The dedupe record and its epoch key are gone (the rest of the cluster's state stays: the nodes keep serving).
    await dropPrefix(`${prefix}d`);
    to(1);
    proxy.reset();
    await expect(answer).resolves.toBe(ErrorCode.Uncertain);
    release();
    expect(calls$.value).toEqual(['node 0']);
  });
});
