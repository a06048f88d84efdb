/**
 * The server features that go through the adapter (push routing, presence, uidport events, disconnect,
 * maxConnectionsPerUid, stats$) on one node. The harness picks the adapter: this suite runs once with the
 * MemoryAdapter and once with the Redis adapter (jest project `redis`), unchanged.
 */
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import type { DefaultEventMap } from '../../src';
import { CloseCode } from '../../src/protocol/codes';
import type { ServerEventMsg } from '../../src/protocol/events';
import { randomCid } from '../support/ajaxRaw';
import { ADAPTER_KIND, startServer, waitFor, type TestServer } from '../support/harness';

describe.each(['ws', 'ajax'] as const)(`adapter features (%s, ${ADAPTER_KIND} adapter)`, (type) => {
  let s: TestServer<DefaultEventMap>;
  afterEach(() => s?.stop());

  test('send(uid) reaches every client of the uid and nobody else; broadcast reaches everyone once', async () => {
    s = await startServer({ wsBatchMs: 0, ajaxBatchMs: 0 }, { client: { type } });
    const a1 = await s.connected({ params: { uid: 'amy' } });
    const a2 = await s.connected({ params: { uid: 'amy' } });
    const b = await s.connected({ params: { uid: 'ben' } });
    const got = (c: typeof a1) => firstValueFrom(c.events$.pipe(filter((e) => e[0] === 'x/for-amy'), take(1)));
    const benGot: unknown[] = [];
    b.events$.subscribe((e) => benGot.push(e[0]));
    const [r1, r2] = [got(a1), got(a2)];
    expect(s.chsk.send('amy', ['x/for-amy', 1])).toBeGreaterThanOrEqual(2);
    await expect(r1).resolves.toEqual(['x/for-amy', 1]);
    await expect(r2).resolves.toEqual(['x/for-amy', 1]);
    const all = [a1, a2, b].map((c) => firstValueFrom(c.events$.pipe(filter((e) => e[0] === 'x/all'), take(2), toArray())));
    s.chsk.broadcast(['x/all', 1]);
    s.chsk.broadcast(['x/all', 2]);
    for (const r of all) await expect(r).resolves.toEqual([['x/all', 1], ['x/all', 2]]);
    expect(benGot).not.toContain('x/for-amy');
  });

  test('uidport-open once for a uid with two connections, uidport-close once after the grace period', async () => {
    // An Ajax connection is absent between one poll's answer and the next poll: on a loaded machine that gap
    // outlasted a 50 ms grace and the uid left and came back between the two connections (a flake, not a bug).
    s = await startServer({ wsGraceMs: 50, ajaxGraceMs: 1500 }, { client: { type } });
    const ports: string[] = [];
    s.chsk.events$.subscribe((m: ServerEventMsg) => {
      if (m.id === 'chsk/uidport-open' || m.id === 'chsk/uidport-close') ports.push(`${m.id}:${String(m.data)}`);
    });
    const c1 = await s.connected({ params: { uid: 'pia' } });
    const c2 = await s.connected({ params: { uid: 'pia' } });
    await waitFor(s.chsk.connectedUids$, (u) => u.any.has('pia') && u[type].has('pia'));
    c1.disconnect();
    c2.disconnect();
    await waitFor(s.chsk.events$, (m) => m.id === 'chsk/uidport-close' && m.data === 'pia');
    await waitFor(s.chsk.connectedUids$, (u) => !u.any.has('pia'));
    expect(ports).toEqual(['chsk/uidport-open:pia', 'chsk/uidport-close:pia']);
  });

  test('disconnect(uid, reason) closes every connection of the uid with 4401; the client stays closed (logged-out)', async () => {
    s = await startServer({}, { client: { type } });
    const a1 = await s.connected({ params: { uid: 'lou' } });
    const a2 = await s.connected({ params: { uid: 'lou' } });
    const other = await s.connected({ params: { uid: 'kim' } });
    await s.chsk.disconnect('lou', 'session expired');
    for (const c of [a1, a2]) {
      const st = await waitFor(c.state$, (x) => x.lastClose?.reason === 'logged-out');
      expect(st.open).toBe(false);
      expect(st.nextReconnectAt).toBeNull();
      if (type === 'ws') expect(st.lastWsClose?.code).toBe(CloseCode.LoggedOut);
    }
    expect(other.state$.value.open).toBe(true);
    expect(s.chsk.connectedUids$.value.any.has('kim')).toBe(true);
    a1.reconnect(); // after a new sign-in the app reconnects
    await waitFor(a1.state$, (x) => x.open);
  });

  test('maxConnectionsPerUid counts every connection of the uid', async () => {
    s = await startServer({ maxConnectionsPerUid: 2 }, { client: { type } });
    await s.connected({ params: { uid: 'max' } });
    await s.connected({ params: { uid: 'max' } });
    const third = await fetch(`${s.url}?v=1&hs=1&cid=${randomCid()}&uid=max`);
    expect(third.status).toBe(429);
    await third.body?.cancel();
  });

  test('stats$ samples connections per transport, push rates and adapter counters', async () => {
    s = await startServer({ statsIntervalMs: 50, wsBatchMs: 0, ajaxBatchMs: 0 }, { client: { type } });
    const c = await s.connected({ params: { uid: 'sam' } });
    const got = firstValueFrom(c.events$.pipe(filter((e) => e[0] === 'x/s'), take(3), toArray()));
    for (let i = 0; i < 3; i++) s.chsk.send('sam', ['x/s', i]);
    await got;
    const st = await waitFor(s.chsk.stats$, (x) => x.totals.pushes >= 3 && x.totals.framesOut >= 1);
    expect(st.connections[type]).toBe(1);
    expect(st.adapter.nodes).toBeGreaterThanOrEqual(1);
    expect(st.drops.remote).toBe(0);
  });
});
