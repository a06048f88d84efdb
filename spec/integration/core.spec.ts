import { firstValueFrom, Observable, take, toArray } from 'rxjs';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { msgpackPacker } from '../../src/packers/msgpack';
import { createChannelSocketClient } from '../../src/client';
import { ChannelClosedError, ConfigError, DeliveryUncertainError, ErrorCode, NIL_UID, RemoteError, ReplyTimeoutError } from '../../src';
import { startServer, waitFor, type TestServer } from '../support/harness';
import { rawClient } from '../support/rawClient';
import type { ServerEventMsg, DefaultEventMap } from '../../src';
import { bare } from '../support/bare';

type Reply = (m: ServerEventMsg<DefaultEventMap>) => void;

/** Resolves once the server has no open WebSocket left (the close reached it). */
const c0 = (srv: TestServer<DefaultEventMap>) =>
  new Observable<number>((sub) => {
    const check = () => srv.http.getConnections((_e, n) => (n === 0 ? (sub.next(n), sub.complete()) : setImmediate(check)));
    check();
  });

describe.each([jsonPacker, msgpackPacker])('core over WebSocket with the $name packer', (packer) => {
  let s: TestServer<DefaultEventMap>;
  const started: TestServer<DefaultEventMap>[] = [];
  const start = async (opts = {}) => {
    const srv = await startServer<DefaultEventMap>({ packer, wsBatchMs: 0, ...opts });
    started.push(srv);
    return srv;
  };
  const on = (srv: TestServer<DefaultEventMap>, id: string, fn: Reply) =>
    srv.chsk.events$.subscribe((m) => {
      if (m.id === id) fn(m);
    });
  beforeEach(async () => {
    s = await start();
  });
  afterEach(async () => {
    for (const srv of started.splice(0)) await srv.stop();
  });

  test('the handshake sets uid, client id and handshake data in state$', async () => {
    const srv = await start({ handshakeData: (req: { url?: string }) => ({ hello: 'world', url: req.url?.startsWith('/chsk') }) });
    const c = await srv.connected({ params: { uid: 'alice' }, clientId: 'tab-1', packer });
    expect(c.state$.value).toMatchObject({
      type: 'ws',
      open: true,
      everOpened: true,
      firstOpen: true,
      uid: 'alice',
      clientId: 'tab-1',
      handshakeData: { hello: 'world', url: true },
      reconnectAttempt: 0,
      nextReconnectAt: null,
    });
  });

  test('a user without a uid gets uid null', async () => {
    const c = await s.connected({ packer });
    expect(c.state$.value.uid).toBeNull();
  });

  test('request/reply, with the sender identified on the server', async () => {
    on(s, 'math/double', (m) => m.reply?.({ doubled: (m.data as number) * 2, uid: m.uid, cid: m.clientId, t: m.transport }));
    const c = await s.connected({ params: { uid: 'bob' }, clientId: 'c-1', packer });
    await expect(firstValueFrom(c.send(['math/double', 21]))).resolves.toEqual({ doubled: 42, uid: 'bob', cid: 'c-1', t: 'ws' });
  });

  test('events without data arrive as undefined and may be replied to', async () => {
    on(s, 'test/nodata', (m) => m.reply?.({ got: m.data === undefined, len: m.event.length }));
    const c = await s.connected({ packer });
    await expect(firstValueFrom(c.send(['test/nodata', undefined]))).resolves.toEqual({ got: true, len: 1 });
  });

  test('reply is absent for fire-and-forget events, present for requests', async () => {
    const seen: boolean[] = [];
    on(s, 'test/ff', (m) => seen.push(typeof m.reply === 'function'));
    on(s, 'test/req', (m) => m.reply?.(seen.slice()));
    const c = await s.connected({ packer });
    await firstValueFrom(c.emit(['test/ff', 1]), { defaultValue: undefined });
    await expect(firstValueFrom(c.send(['test/req', 1]))).resolves.toEqual([false]);
  });

  test('a request with no reply times out with ReplyTimeoutError (CHSK_TIMEOUT); a late reply is ignored', async () => {
    // The handler keeps the request and never answers in time; on a loaded machine the client's 50 ms may pass
    // before the request reaches the server, so the late reply waits for the handler rather than assuming it ran.
    let handled!: (m: { reply: (v: unknown) => void }) => void;
    const late = new Promise<{ reply: (v: unknown) => void }>((resolve) => (handled = resolve));
    on(s, 'test/slow', (m) => handled(m as never));
    on(s, 'test/ok', (m) => m.reply?.('ok'));
    const c = await s.connected({ packer });
    const err = await firstValueFrom(c.send(['test/slow', 1], { timeoutMs: 50 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplyTimeoutError);
    expect(err).toMatchObject({ code: ErrorCode.Timeout, name: 'ReplyTimeoutError' });
    (await late).reply('too late');
    // The link is still healthy and the late reply did not land on a later request.
    await expect(firstValueFrom(c.send(['test/ok', 1]))).resolves.toBe('ok');
  });

  test('the connection dropping with a request in flight: the client reconnects, sends it again, and gets the reply given after the drop (handler once)', async () => {
    let runs = 0;
    on(s, 'test/drop', (m) => {
      runs++;
      m.req.socket.destroy();
      m.reply?.('answered after the drop');
    });
    const c = await s.connected({ packer });
    await expect(firstValueFrom(c.send(['test/drop', 1]))).resolves.toBe('answered after the drop');
    expect(runs).toBe(1);
    // The client reconnected by itself after an unexpected close.
    expect(c.state$.value).toMatchObject({ open: true, lastClose: { reason: 'unexpected' } });
  });

  test('disconnect() fails a request in flight with DeliveryUncertainError (CHSK_UNCERTAIN) and later sends with ChannelClosedError', async () => {
    on(s, 'test/hold', () => c.disconnect());
    const c = await s.connected({ packer });
    await expect(firstValueFrom(c.send(['test/hold', 1]))).rejects.toBeInstanceOf(DeliveryUncertainError);
    expect(c.state$.value).toMatchObject({ open: false, lastClose: { reason: 'requested-disconnect' } });
    await expect(firstValueFrom(c.send(['test/hold', 2]))).rejects.toMatchObject({ code: ErrorCode.Closed });
  });

  test('unsubscribing cancels the wait: no value, no error, and the link goes on', async () => {
    const held: Array<(v: unknown) => void> = [];
    on(s, 'test/held', (m) => held.push((v) => m.reply?.(v)));
    on(s, 'test/ok', (m) => m.reply?.('ok'));
    const c = await s.connected({ packer });
    const got: unknown[] = [];
    const arrived = waitFor(s.chsk.events$, (m) => m.id === 'test/held');
    const sub = c.send(['test/held', 1]).subscribe({ next: (v) => got.push(v), error: (e) => got.push(e) });
    await arrived;
    sub.unsubscribe();
    held[0]!('after unsubscribe');
    await expect(firstValueFrom(c.send(['test/ok', 1]))).resolves.toBe('ok');
    expect(got).toEqual([]);
  });

  test('reconnect() drops the link and opens a new one', async () => {
    const c = await s.connected({ packer });
    c.reconnect();
    await waitFor(c.state$, (st) => st.open && st.lastClose?.reason === 'requested-reconnect');
    expect(c.state$.value.firstOpen).toBe(false);
  });

  test('a request nobody answers gets CHSK_NO_REPLY from the server after requestTimeoutMs', async () => {
    const srv = await start({ requestTimeoutMs: 50 });
    const c = await srv.connected({ packer });
    const err = await firstValueFrom(c.send(['test/nobody', 1], { timeoutMs: 5000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ code: ErrorCode.NoReply });
  });

  test('send(uid) reaches both clients of that uid and not a client of another uid', async () => {
    const a1 = await s.connected({ params: { uid: 'alice' }, packer });
    const a2 = await s.connected({ params: { uid: 'alice' }, packer });
    const b = await s.connected({ params: { uid: 'bob' }, packer });
    const bobSeen = firstValueFrom(b.events$.pipe(take(1)));
    const a1got = firstValueFrom(a1.events$);
    const a2got = firstValueFrom(a2.events$);
    expect(s.chsk.send('alice', ['chat/msg', { text: 'hi alice' }])).toBe(2);
    await expect(a1got).resolves.toEqual(['chat/msg', { text: 'hi alice' }]);
    await expect(a2got).resolves.toEqual(['chat/msg', { text: 'hi alice' }]);
    s.chsk.send('bob', ['chat/marker', 1]);
    // Per-client order holds, so bob's first event being the marker proves he never got alice's push.
    await expect(bobSeen).resolves.toEqual(['chat/marker', 1]);
  });

  test('broadcast reaches every client, with and without uid', async () => {
    const cs = await Promise.all([
      s.connected({ params: { uid: 'u1' }, packer }),
      s.connected({ params: { uid: 'u2' }, packer }),
      s.connected({ packer }),
    ]);
    const got = Promise.all(cs.map((c) => firstValueFrom(c.events$)));
    expect(s.chsk.broadcast(['news/flash', 'all'])).toBe(3);
    await expect(got).resolves.toEqual([
      ['news/flash', 'all'],
      ['news/flash', 'all'],
      ['news/flash', 'all'],
    ]);
  });

  test('users without a uid are reachable as one group (null or NIL_UID)', async () => {
    const anon1 = await s.connected({ packer });
    const anon2 = await s.connected({ packer });
    const named = await s.connected({ params: { uid: 'carol' }, packer });
    const namedFirst = firstValueFrom(named.events$);
    const got = Promise.all([anon1, anon2].map((c) => firstValueFrom(c.events$.pipe(take(2), toArray()))));
    expect(s.chsk.send(null, ['anon/hello', 1])).toBe(2);
    expect(s.chsk.send(NIL_UID, ['anon/hello', 2])).toBe(2);
    await expect(got).resolves.toEqual([
      [['anon/hello', 1], ['anon/hello', 2]],
      [['anon/hello', 1], ['anon/hello', 2]],
    ]);
    expect(s.chsk.connectedUids$.value.any.has(NIL_UID)).toBe(true);
    s.chsk.send('carol', ['m/marker', 0]);
    await expect(namedFirst).resolves.toEqual(['m/marker', 0]);
  });

  test('connectedUids$ and uidport events follow connect, disconnect and the grace period', async () => {
    const srv = await start({ wsGraceMs: 1000 });
    const ports: string[] = [];
    srv.chsk.events$.subscribe((m) => {
      if (m.id === 'chsk/uidport-open' || m.id === 'chsk/uidport-close') ports.push(`${m.id}:${m.data}`);
    });
    // With a cluster adapter the arrival is decided in Redis: wait for the event rather than assume it came
    // before the client's handshake.
    const opened = waitFor(srv.chsk.events$, (m) => m.id === 'chsk/uidport-open');
    const a = await srv.connected({ params: { uid: 'dave' }, packer });
    await opened;
    expect(srv.chsk.connectedUids$.value.ws.has('dave')).toBe(true);
    expect(srv.chsk.connectedUids$.value.any.has('dave')).toBe(true);
    expect(ports).toEqual(['chsk/uidport-open:dave']);
    // A reload: the old tab closes and a new one connects within the grace period: no flap.
    a.disconnect();
    const b = await srv.connected({ params: { uid: 'dave' }, packer });
    expect(srv.chsk.connectedUids$.value.any.has('dave')).toBe(true);
    // Now leave for good: dave stays listed during the grace period, then goes.
    const closed = waitFor(srv.chsk.events$, (m) => m.id === 'chsk/uidport-close');
    b.disconnect();
    await waitFor(c0(srv), () => true);
    expect(srv.chsk.connectedUids$.value.any.has('dave')).toBe(true);
    await waitFor(srv.chsk.connectedUids$, (u) => !u.any.has('dave'));
    await closed;
    // Exactly one open and one close: the reload inside the grace period did not flap.
    expect(ports).toEqual(['chsk/uidport-open:dave', 'chsk/uidport-close:dave']);
    expect(srv.chsk.connectedUids$.value.ws.has('dave')).toBe(false);
  });

  test('server close() reaches every client state$ and completes the server streams', async () => {
    const srv = await startServer<DefaultEventMap>({ packer });
    const cs = await Promise.all([srv.connected({ packer, params: { uid: 'x' } }), srv.connected({ packer })]);
    let eventsDone = false;
    srv.chsk.events$.subscribe({ complete: () => (eventsDone = true) });
    const closedStates = Promise.all(cs.map((c) => waitFor(c.state$, (st) => !st.open)));
    await srv.chsk.close();
    const states = await closedStates;
    for (const st of states) {
      expect(st.lastClose?.reason).toBe('clean');
      expect(st.lastWsClose?.code).toBe(1001);
    }
    expect(eventsDone).toBe(true);
    for (const c of cs) c.disconnect();
    await srv.stop();
  });

  test('handle(): effects are performed; a failing handler is reported, answers CHSK_HANDLER_ERROR and keeps serving', async () => {
    const { map } = await import('rxjs');
    const { reply, push } = await import('../../src');
    const reports: string[] = [];
    s.chsk.errors$.subscribe((r) => reports.push(r.code));
    s.chsk.handle((msg$) =>
      msg$.pipe(
        map((m) => {
          if (m.id === 'calc/div') {
            const [a, b] = m.data as [number, number];
            if (b === 0) throw new Error('division by zero');
            return reply(m, a / b);
          }
          return push(m.uid, ['calc/seen', m.id]);
        }),
      ),
    );
    const c = await s.connected({ params: { uid: 'erin' }, packer });
    await expect(firstValueFrom(c.send(['calc/div', [6, 3]]))).resolves.toBe(2);
    await expect(firstValueFrom(c.send(['calc/div', [1, 0]]))).rejects.toMatchObject({ code: ErrorCode.HandlerError });
    expect(reports).toContain(ErrorCode.HandlerError);
    await expect(firstValueFrom(c.send(['calc/div', [9, 3]]))).resolves.toBe(3);
    const seen = firstValueFrom(c.events$);
    await firstValueFrom(c.emit(['calc/other', 1]), { defaultValue: undefined });
    await expect(seen).resolves.toEqual(['calc/seen', 'calc/other']);
  });

  test('a lone push leaves at once; pushes inside the batch window leave in one frame, in order', async () => {
    const srv = await start({ wsBatchMs: 40 });
    const raw = await rawClient(srv.url, packer, 'cid=raw-batch&uid=batchy');
    await raw.next((m) => m.t === 'hs');
    for (let i = 0; i < 5; i++) srv.chsk.send('batchy', ['b/n', i]);
    // The first push leads (no window was open); the rest share one frame at the end of the window.
    await expect(raw.next((m) => m.t === 'e').then(bare)).resolves.toEqual({ t: 'e', ev: ['b/n', 0] });
    const frame = await raw.next((m) => m.t === 'b');
    expect(bare(frame)).toEqual({ t: 'b', ms: [1, 2, 3, 4].map((i) => ({ t: 'e', ev: ['b/n', i] })) });
    srv.chsk.send('batchy', ['b/n', 99], { flush: true });
    await expect(raw.next((m) => m.t === 'e' && (m.ev as unknown[])[1] === 99).then(bare)).resolves.toEqual({ t: 'e', ev: ['b/n', 99] });
    raw.ws.close();
  });

  describe('malformed frames get the documented error and the server keeps serving others', () => {
    const badJsonOrMsgpack = packer.binary ? Buffer.from([0xc1, 0xff, 0x00]) : '{"t":"e",';
    const cases: Array<[string, (raw: Awaited<ReturnType<typeof rawClient>>) => void, Record<string, unknown>]> = [
      ['unparseable frame', (r) => r.sendRaw(badJsonOrMsgpack), { code: ErrorCode.BadFrame }],
      ['not an object', (r) => r.sendMsg([1, 2, 3]), { code: ErrorCode.BadMessage }],
      ['unknown type', (r) => r.sendMsg({ t: 'zz' }), { code: ErrorCode.BadMessage }],
      ['event id not a string', (r) => r.sendMsg({ t: 'e', ev: [42, 'x'] }), { code: ErrorCode.BadMessage }],
      ['event not an array', (r) => r.sendMsg({ t: 'e', ev: 'chat/x' }), { code: ErrorCode.BadMessage }],
      ['reserved chsk/ id', (r) => r.sendMsg({ t: 'q', ev: ['chsk/uidport-open', 'me'], rid: 7 }), { code: ErrorCode.ReservedId, rid: 7 }],
      ['a reply from a client (unknown reply id)', (r) => r.sendMsg({ t: 'r', rid: 12345, d: 1 }), { code: ErrorCode.BadMessage }],
      ['negative reply id', (r) => r.sendMsg({ t: 'q', ev: ['a/b', 1], rid: -1 }), { code: ErrorCode.BadMessage }],
      ['fractional reply id', (r) => r.sendMsg({ t: 'q', ev: ['a/b', 1], rid: 1.5 }), { code: ErrorCode.BadMessage }],
      ['string reply id', (r) => r.sendMsg({ t: 'q', ev: ['a/b', 1], rid: '1' }), { code: ErrorCode.BadMessage }],
      ['huge reply id', (r) => r.sendMsg({ t: 'q', ev: ['a/b', 1], rid: 2 ** 60 }), { code: ErrorCode.BadMessage }],
      [
        'duplicate reply id in flight',
        (r) => {
          r.sendMsg({ t: 'q', ev: ['test/hold', 1], rid: 3 });
          r.sendMsg({ t: 'q', ev: ['test/hold', 2], rid: 3 });
        },
        { code: ErrorCode.DuplicateReplyId, rid: 3 },
      ],
      ['bad batch member', (r) => r.sendMsg({ t: 'b', ms: [{ t: 'pi' }] }), { code: ErrorCode.BadMessage }],
    ];
    test.each(cases)('%s', async (_name, attack, expected) => {
      on(s, 'test/ok', (m) => m.reply?.('ok'));
      const good = await s.connected({ params: { uid: 'good' }, packer });
      const raw = await rawClient(s.url, packer, 'cid=attacker&uid=evil');
      await raw.next((m) => m.t === 'hs');
      attack(raw);
      await expect(raw.next((m) => m.t === 'x')).resolves.toMatchObject({ t: 'x', ...expected });
      await expect(firstValueFrom(good.send(['test/ok', 1]))).resolves.toBe('ok');
      // The attacker's connection also survives a single bad frame.
      raw.sendMsg({ t: 'q', ev: ['test/ok', 1], rid: 99 });
      await expect(raw.next((m) => m.t === 'r')).resolves.toEqual({ t: 'r', rid: 99, d: 'ok' });
      raw.ws.close();
    });
  });
});

describe('client configuration', () => {
  test('a missing WebSocket constructor on Node is a ConfigError naming the option', () => {
    // Node 22 and later have a global WebSocket (used when none is passed): take it away to be Node 20.
    const g = globalThis as { WebSocket?: unknown };
    const global = g.WebSocket;
    delete g.WebSocket;
    let err: unknown;
    try {
      createChannelSocketClient({ url: 'http://127.0.0.1:1/chsk' });
    } catch (e) {
      err = e;
    } finally {
      if (global !== undefined) g.WebSocket = global;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: ErrorCode.NoWebSocket });
    expect(String((err as Error).message)).toMatch(/WebSocket/);
  });
});
