import type { IncomingMessage } from 'http';
import type { Duplex } from 'stream';
import { filter, firstValueFrom, interval, timer, type Subscription } from 'rxjs';
import WebSocket from 'ws';
import { jsonPacker, type Packer } from '../../src';
import { msgpackPacker } from '../../src/packers/msgpack';
import { AjaxHeader } from '../../src/protocol/ajax';
import { rawHandshake, rawPoll } from '../support/ajaxRaw';
import { PACKERS, startServer, waitFor, type TestServer } from '../support/harness';
import { startStripUpgradeProxy } from '../support/stripUpgradeProxy';
import { bare } from '../support/bare';

type S = TestServer<Record<string, { data: unknown; reply: unknown }>>;
const cleanup: Array<() => Promise<void>> = [];
async function server(...args: Parameters<typeof startServer>): Promise<S> {
  const s = (await startServer(...args)) as S;
  cleanup.push(() => s.stop());
  return s;
}
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function countUpgrades(s: S): { n: number } {
  const c = { n: 0 };
  s.http.prependListener('upgrade', () => void c.n++);
  return c;
}

async function worksOverAjax(s: S, c: Awaited<ReturnType<S['connected']>>, uid: string): Promise<void> {
  expect(c.state$.value).toMatchObject({ open: true, type: 'ajax', lastClose: { reason: 'downgrading-ws-to-ajax' } });
  await expect(firstValueFrom(c.send(['t/echo', 'hello']))).resolves.toEqual({ echo: 'hello', transport: 'ajax' });
  const push = firstValueFrom(c.events$);
  expect(s.chsk.send(uid, ['t/push', 1])).toBe(1);
  await expect(push).resolves.toEqual(['t/push', 1]);
  await waitFor(s.chsk.connectedUids$, (u) => u.ajax.has(uid) && !u.ws.has(uid));
}

const echo = (s: S): Subscription => s.chsk.events$.subscribe((m) => m.reply?.({ echo: m.data, transport: m.transport }));

describe.each(PACKERS.map((packer) => ({ packer, name: packer.name })))('fallback ($name)', ({ packer }) => {
  test('a server that refuses upgrades (403): auto falls back to Ajax, and requests and pushes work', async () => {
    const s = await server({ packer }, { upgrades: 'refuse', client: { type: 'auto', upgradeIntervalMs: false } });
    echo(s);
    const c = await s.connected({ params: { uid: 'ursula' } });
    expect(c.state$.value.lastWsError).not.toBeNull();
    await worksOverAjax(s, c, 'ursula');
  });

  test('a proxy that strips Upgrade: auto falls back to Ajax through it', async () => {
    const s = await server({ packer }, { client: { type: 'auto', upgradeIntervalMs: false } });
    echo(s);
    const proxy = await startStripUpgradeProxy(s.url);
    cleanup.push(() => proxy.close());
    const c = await s.connected({ url: proxy.url, params: { uid: 'pete' } });
    expect(proxy.stripped).toBeGreaterThanOrEqual(1);
    await worksOverAjax(s, c, 'pete');
  });

  test('an upgrade that never answers: auto falls back after connectTimeoutMs', async () => {
    const s = await server({ packer }, { upgrades: 'hang', client: { type: 'auto', connectTimeoutMs: 100, upgradeIntervalMs: false } });
    echo(s);
    const c = await s.connected({ params: { uid: 'hank' } });
    await worksOverAjax(s, c, 'hank');
  });
});

test('once Ajax worked where WebSocket failed, later links start on Ajax; a server that is down changes nothing', async () => {
  const s = await server({}, { upgrades: 'refuse', client: { type: 'auto', upgradeIntervalMs: false } });
  const upgrades = countUpgrades(s);
  const c = await s.connected();
  expect(upgrades.n).toBe(1);
  c.reconnect();
  await waitFor(c.state$, (st) => st.open && st.lastClose?.reason === 'requested-reconnect');
  expect(c.state$.value.type).toBe('ajax');
  expect(upgrades.n).toBe(1);
});

test('with WebSocket and Ajax both failing (server down), the next try starts with WebSocket again', async () => {
  const s = await server();
  const url = s.url;
  await s.stop();
  cleanup.pop();
  const s2 = await server({}, { client: { type: 'auto', backoff: () => 20, upgradeIntervalMs: false } });
  const c = s2.client({ url });
  // Each session tries WebSocket first: a new WebSocket error is recorded on every attempt.
  const wsErrors = new Set<unknown>();
  await waitFor(c.state$, (st) => (st.lastWsError && wsErrors.add(st.lastWsError), wsErrors.size >= 3));
  expect(c.state$.value.open).toBe(false);
  c.disconnect();
});

describe('the upgrade probe (raw)', () => {
  function probe(url: string, cid: string, token: string | undefined): Promise<{ ws?: WebSocket; status?: number }> {
    const protocols = ['sente-rx.v1', ...(token ? [`tk.${token}`] : [])];
    const ws = new WebSocket(`${url.replace('http', 'ws')}?v=1&cid=${cid}&upgrade=1`, protocols);
    return new Promise((resolve) => {
      ws.on('open', () => resolve({ ws }));
      ws.on('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode });
        ws.terminate();
      });
      ws.on('error', () => undefined);
    });
  }

  test.each([jsonPacker, msgpackPacker] as Packer[])(
    'moves the same connection onto the socket: frames before the swap end the Ajax stream, later ones use the socket (%#)',
    async (packer) => {
      const s = await server({ packer });
      const opens: string[] = [];
      s.chsk.events$.pipe(filter((m) => m.id.startsWith('chsk/'))).subscribe((m) => opens.push(m.id));
      const c = await rawHandshake(s.url, { uid: 'raw', packer });
      await rawPoll(s.url, c, { packer, signal: AbortSignal.timeout(50) }).catch(() => undefined);
      s.chsk.send('raw', ['t/before', 1]);
      const p = await probe(s.url, c.cid, c.token);
      expect(p.ws).toBeDefined();
      const onWs = new Promise<unknown>((resolve) => p.ws!.once('message', (d) => resolve(packer.unpack(packer.binary ? new Uint8Array(d as Buffer) : String(d)))));
      s.chsk.send('raw', ['t/after', 2]);
      const last = await rawPoll(s.url, c, { packer });
      expect(bare(last.messages)).toEqual([{ t: 'e', ev: ['t/before', 1] }]);
      expect(last.headers.get(AjaxHeader.Upgraded)).toBe('1');
      await expect(onWs.then(bare)).resolves.toEqual({ t: 'e', ev: ['t/after', 2] });
      await waitFor(s.chsk.connectedUids$, (u) => u.ws.has('raw') && !u.ajax.has('raw'));
      expect(opens).toEqual(['chsk/uidport-open']);
      // A second probe with the same token is refused.
      const again = await probe(s.url, c.cid, c.token);
      expect(again.status).toBe(409);
      p.ws!.close();
    },
  );

  test('a probe with a missing, foreign or stale token is refused (401/403/410)', async () => {
    const s = await server();
    const a = await rawHandshake(s.url);
    const b = await rawHandshake(s.url);
    expect((await probe(s.url, a.cid, undefined)).status).toBe(401);
    expect((await probe(s.url, a.cid, b.token)).status).toBe(403);
    expect((await probe(s.url, a.cid, `nope.${'A'.repeat(32)}`)).status).toBe(410);
  });
});

describe('the way back to WebSocket', () => {
  test('while on Ajax, auto keeps probing and switches to WebSocket once it works', async () => {
    const s = await server({}, { upgrades: 'refuse', client: { type: 'auto', upgradeIntervalMs: 30 } });
    echo(s);
    const upgrades = countUpgrades(s);
    const ports: string[] = [];
    s.chsk.events$.pipe(filter((m) => m.id.startsWith('chsk/'))).subscribe((m) => ports.push(m.id));
    const c = await s.connected({ params: { uid: 'vera' } });
    expect(c.state$.value.type).toBe('ajax');
    const before = upgrades.n;
    await waitFor(interval(5), () => upgrades.n >= before + 2); // failed probes, still on Ajax
    expect(c.state$.value).toMatchObject({ open: true, type: 'ajax' });
    s.setUpgrades('accept');
    await waitFor(c.state$, (st) => st.type === 'ws');
    expect(c.state$.value.open).toBe(true);
    await waitFor(s.chsk.connectedUids$, (u) => u.ws.has('vera') && !u.ajax.has('vera') && u.any.has('vera'));
    await expect(firstValueFrom(c.send(['t/echo', 1]))).resolves.toEqual({ echo: 1, transport: 'ws' });
    expect(ports).toEqual(['chsk/uidport-open']);
    // After a move, later links start on WebSocket again.
    c.reconnect();
    await waitFor(c.state$, (st) => st.open && st.lastClose?.reason === 'requested-reconnect');
    expect(c.state$.value.type).toBe('ws');
  });

  test.each(PACKERS.map((packer) => ({ packer, name: packer.name })))(
    'switching under a steady stream of pushes and requests loses, duplicates and reorders nothing ($name)',
    async ({ packer }) => {
      const s = await server({ packer }, { upgrades: 'refuse', client: { type: 'auto', upgradeIntervalMs: 40 } });
      const serverSaw: number[] = [];
      const transports = new Set<string>();
      s.chsk.events$.subscribe((m) => {
        if (m.id !== 't/req') return;
        const n = m.data as number;
        serverSaw.push(n);
        transports.add(m.transport);
        // Every third reply waits a little, so requests are in flight across the switch.
        if (n % 3 === 0) timer(15).subscribe(() => m.reply?.(n * 10));
        else m.reply?.(n * 10);
      });
      const c = await s.connected({ params: { uid: 'stream' } });
      expect(c.state$.value.type).toBe('ajax');

      const pushes: number[] = [];
      c.events$.subscribe((e) => pushes.push(e[1] as number));
      let pushed = 0;
      const pusher = interval(2).subscribe(() => {
        s.chsk.send('stream', ['t/push', pushed++]);
        s.chsk.send('stream', ['t/push', pushed++]);
      });
      const replies = new Map<number, unknown>();
      const failures: unknown[] = [];
      let sent = 0;
      const requester = interval(3).subscribe(() => {
        const n = sent++;
        c.send(['t/req', n], { timeoutMs: 4000 }).subscribe({ next: (r) => replies.set(n, r), error: (e: unknown) => failures.push(e) });
      });
      await waitFor(interval(5), () => pushes.length >= 40 && replies.size >= 10);
      s.setUpgrades('accept');
      await waitFor(c.state$, (st) => st.type === 'ws');
      const atSwitch = pushes.length;
      await waitFor(interval(5), () => pushes.length >= atSwitch + 40 && sent >= 60);
      pusher.unsubscribe();
      requester.unsubscribe();
      await waitFor(interval(5), () => pushes.length >= pushed && replies.size + failures.length >= sent);

      expect(failures).toEqual([]);
      expect(pushes).toEqual(Array.from({ length: pushed }, (_, i) => i));
      expect([...replies.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: sent }, (_, i) => i));
      for (const [n, r] of replies) expect(r).toBe(n * 10);
      expect(serverSaw).toEqual(Array.from({ length: sent }, (_, i) => i));
      expect(transports).toEqual(new Set(['ajax', 'ws']));
      expect(c.state$.value).toMatchObject({ open: true, type: 'ws' });
    },
    15_000,
  );

  test('a request sent over Ajax whose reply comes after the switch gets it over WebSocket', async () => {
    const s = await server({}, { upgrades: 'refuse', client: { type: 'auto', upgradeIntervalMs: 30 } });
    let answer: ((v: unknown) => void) | undefined;
    s.chsk.events$.subscribe((m) => {
      if (m.id === 't/slow') answer = (v) => m.reply?.(v);
    });
    const c = await s.connected();
    const reply = firstValueFrom(c.send(['t/slow', null]));
    await waitFor(interval(2), () => answer !== undefined);
    s.setUpgrades('accept');
    await waitFor(c.state$, (st) => st.type === 'ws');
    answer!('late but here');
    await expect(reply).resolves.toBe('late but here');
  });

  test('when the WebSocket it moved to dies, the client reconnects (on WebSocket)', async () => {
    const s = await server({}, { upgrades: 'refuse', client: { type: 'auto', upgradeIntervalMs: 30, backoff: () => 0 } });
    const sockets: Duplex[] = [];
    s.http.prependListener('upgrade', (_req: IncomingMessage, socket: Duplex) => void sockets.push(socket));
    const c = await s.connected();
    s.setUpgrades('accept');
    await waitFor(c.state$, (st) => st.type === 'ws');
    // A network blip on the socket the connection moved to.
    for (const socket of sockets) socket.destroy();
    await waitFor(c.state$, (st) => !st.open);
    const back = await waitFor(c.state$, (st) => st.open);
    expect(back).toMatchObject({ type: 'ws', lastClose: { reason: 'unexpected' } });
  });
});
