import { filter, firstValueFrom, interval, lastValueFrom, take, toArray } from 'rxjs';
import type { IncomingMessage } from 'http';
import { jsonPacker } from '../../src';
import type { FetchLike } from '../../src/client';
import { msgpackPacker } from '../../src/packers/msgpack';
import { AjaxHeader } from '../../src/protocol/ajax';
import { rawHandshake, rawPoll, rawPost } from '../support/ajaxRaw';
import { startServer, waitFor, type TestServer } from '../support/harness';
import { bare } from '../support/bare';

type S = TestServer<Record<string, { data: unknown; reply: unknown }>>;
const servers: S[] = [];
// These tests look at the Ajax queue and its framing frame by frame, so the core's push batching (on by
// default, and covered by the transports and core suites) is switched off here.
async function server(...args: Parameters<typeof startServer>): Promise<S> {
  const [opts, extra] = args;
  const s = (await startServer({ ajaxBatchMs: 0, wsBatchMs: 0, ...opts }, extra)) as S;
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/**
 * Resolves once the server has received the next request of `method` carrying a token, and has had a turn
 * to route it (so a poll is held by then). Register before sending the request.
 */
function received(s: S, method = 'GET'): Promise<void> {
  return new Promise((resolve) => {
    const on = (req: IncomingMessage): void => {
      if (req.method !== method || req.headers[AjaxHeader.Token] === undefined) return;
      s.http.off('request', on);
      setImmediate(resolve);
    };
    s.http.prependListener('request', on);
  });
}

const ev = (id: string, data?: unknown) => ({ t: 'e', ev: data === undefined ? [id] : [id, data] });

describe('handshake', () => {
  test('answers the handshake with a token of 128+ random bits, and the server lists the uid under ajax', async () => {
    const s = await server();
    const a = await rawHandshake(s.url, { uid: 'ann' });
    expect(a.handshake).toMatchObject({ t: 'hs', v: 1, uid: 'ann', cid: a.cid });
    const [selector, secret] = a.token.split('.');
    expect(Buffer.from(secret!, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(selector!.length).toBeGreaterThan(0);
    const b = await rawHandshake(s.url);
    expect(b.token).not.toEqual(a.token);
    await waitFor(s.chsk.connectedUids$, (u) => u.ajax.has('ann') && !u.ws.has('ann'));
  });

  test.each([
    ['a bad client id', '?v=1&hs=1&cid=no%20spaces', 400, 'CHSK_BAD_CLIENT_ID'],
    ['another protocol version', '?v=9&hs=1&cid=abc', 400, 'CHSK_PROTOCOL_VERSION'],
    ['no token and no hs=1', '?cid=abc', 401, 'CHSK_BAD_TOKEN'],
  ])('refuses %s', async (_what, query, status, code) => {
    const s = await server();
    const r = await fetch(s.url + query);
    expect(r.status).toBe(status);
    expect(await r.json()).toMatchObject({ code });
  });

  test('a WebSocket handshake whose Upgrade header was stripped gets a 400 that says so', async () => {
    const s = await server();
    const r = await fetch(`${s.url}?v=1&cid=abc`, { headers: { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
    expect(r.status).toBe(400);
    expect((await r.json()).message).toMatch(/Upgrade/);
  });

  test('CSRF and origin are checked on the handshake and again on every poll and POST', async () => {
    const s = await server({ csrfToken: () => 'sekrit', allowedOrigins: ['http://good.example'] });
    const noCsrf = await fetch(`${s.url}?v=1&hs=1&cid=abc`);
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.json()).toMatchObject({ code: 'CHSK_REJECTED' });
    const headers = { 'x-csrf-token': 'sekrit' };
    const c = await rawHandshake(s.url, { headers });
    const poll = await rawPoll(s.url, c); // no CSRF header this time
    expect(poll.status).toBe(403);
    expect(poll.json).toMatchObject({ code: 'CHSK_REJECTED' });
    const post = await rawPost(s.url, c, [ev('x/y')]);
    expect(post.status).toBe(403);
    const evil = await fetch(`${s.url}?v=1&hs=1&cid=abc`, { headers: { ...headers, origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    const preflight = await fetch(s.url, { method: 'OPTIONS', headers: { origin: 'http://good.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://good.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-chsk-token');
    const badPreflight = await fetch(s.url, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(badPreflight.status).toBe(403);
  });
});

describe('tokens', () => {
  test('a poll or POST without a token is refused 401 CHSK_BAD_TOKEN', async () => {
    const s = await server();
    const c = await rawHandshake(s.url);
    const p = await rawPoll(s.url, c, { token: null });
    expect([p.status, p.json?.code]).toEqual([401, 'CHSK_BAD_TOKEN']);
    const q = await rawPost(s.url, c, [ev('x/y')], { token: null });
    expect([q.status, q.json?.code]).toEqual([401, 'CHSK_BAD_TOKEN']);
    const m = await rawPoll(s.url, c, { token: 'garbage' });
    expect([m.status, m.json?.code]).toEqual([401, 'CHSK_BAD_TOKEN']);
  });

  test("another client's token, or a forged secret, is refused 403 CHSK_BAD_TOKEN and reads or speaks nothing", async () => {
    const s = await server();
    const received: unknown[] = [];
    s.chsk.events$.pipe(filter((m) => m.id === 'x/hijack')).subscribe((m) => received.push(m));
    const victim = await rawHandshake(s.url, { uid: 'victim' });
    const thief = await rawHandshake(s.url, { uid: 'thief' });
    // The victim's id with the thief's own token, and the thief's id with the victim's token.
    for (const o of [{ cid: victim.cid }, { token: victim.token }]) {
      const p = await rawPoll(s.url, thief, o);
      expect([p.status, p.json?.code]).toEqual([403, 'CHSK_BAD_TOKEN']);
      const q = await rawPost(s.url, thief, [ev('x/hijack')], o);
      expect([q.status, q.json?.code]).toEqual([403, 'CHSK_BAD_TOKEN']);
    }
    const forged = `${victim.token.split('.')[0]}.${'A'.repeat(32)}`;
    const f = await rawPoll(s.url, victim, { token: forged });
    expect([f.status, f.json?.code]).toEqual([403, 'CHSK_BAD_TOKEN']);
    expect(received).toEqual([]);
  });

  test('a stale token (connection expired, or from before a server restart) is refused 410 CHSK_BAD_TOKEN', async () => {
    const s = await server({ ajaxGraceMs: 50 });
    const c = await rawHandshake(s.url, { uid: 'sleepy' });
    // No poll within the gap: the connection closes, then the uid leaves after the grace.
    await waitFor(s.chsk.events$, (m) => m.id === 'chsk/uidport-close');
    const p = await rawPoll(s.url, c);
    expect([p.status, p.json?.code]).toEqual([410, 'CHSK_BAD_TOKEN']);
    const q = await rawPost(s.url, c, [ev('x/y')]);
    expect([q.status, q.json?.code]).toEqual([410, 'CHSK_BAD_TOKEN']);
    const s2 = await server();
    const r = await rawPoll(s2.url, c);
    expect([r.status, r.json?.code]).toEqual([410, 'CHSK_BAD_TOKEN']);
  });
});

describe('long-poll', () => {
  test('an idle poll is answered 204 after longPollTimeoutMs and the connection lives on', async () => {
    const s = await server({ longPollTimeoutMs: 100 });
    const c = await rawHandshake(s.url, { uid: 'idle' });
    const first = await rawPoll(s.url, c);
    expect(first.status).toBe(204);
    expect(first.headers.get(AjaxHeader.Closed)).toBeNull();
    const second = rawPoll(s.url, c);
    s.chsk.send('idle', ['x/push', 1]);
    expect(bare((await second).messages)).toEqual([{ t: 'e', ev: ['x/push', 1] }]);
  });

  test('the client re-polls after each timeout and stays usable', async () => {
    const s = await server({ longPollTimeoutMs: 50 }, { client: { type: 'ajax' } });
    let polls = 0;
    const pollsSeen = new Promise<void>((resolve) => {
      s.http.prependListener('request', (req) => {
        if (req.method === 'GET' && req.headers[AjaxHeader.Token] && ++polls >= 4) resolve();
      });
    });
    s.chsk.events$.subscribe((m) => m.reply?.(m.data));
    const c = await s.connected({ params: { uid: 'patient' } });
    await pollsSeen;
    expect(c.state$.value.open).toBe(true);
    await expect(firstValueFrom(c.send(['x/echo', 'still here']))).resolves.toBe('still here');
    const push = firstValueFrom(c.events$);
    s.chsk.send('patient', ['x/push', 2]);
    await expect(push).resolves.toEqual(['x/push', 2]);
  });

  test('a second poll replaces the first: the first gets 204, the second is held and gets the frames', async () => {
    const s = await server();
    const c = await rawHandshake(s.url, { uid: 'twice' });
    let arrived = received(s);
    const first = rawPoll(s.url, c);
    await arrived;
    arrived = received(s);
    const second = rawPoll(s.url, c);
    await arrived;
    const f = await first;
    expect(f.status).toBe(204);
    s.chsk.send('twice', ['x/push', 'late']);
    expect(bare((await second).messages)).toEqual([{ t: 'e', ev: ['x/push', 'late'] }]);
  });

  test('pushes written in a burst leave in one response, in order', async () => {
    const s = await server({ ajaxCoalesceMs: 20 });
    const c = await rawHandshake(s.url, { uid: 'bursty' });
    const arrived = received(s);
    const next = rawPoll(s.url, c);
    await arrived;
    for (let i = 0; i < 50; i++) s.chsk.send('bursty', ['x/n', i]);
    const a = await next;
    expect(bare(a.messages)).toEqual(Array.from({ length: 50 }, (_, i) => ({ t: 'e', ev: ['x/n', i] })));
  });

  test('a response lost on the way is sent again: the next poll names what arrived (x-chsk-ack)', async () => {
    const s = await server();
    const c = await rawHandshake(s.url, { uid: 'lossy' });
    const ackBefore = c.ack;
    s.chsk.send('lossy', ['x/n', 1]);
    s.chsk.send('lossy', ['x/n', 2]);
    await s.settled(); // on Redis, pushes come back from Redis before they are queued
    const a = await rawPoll(s.url, c);
    expect(a.messages).toHaveLength(2);
    // Pretend that answer never arrived: poll again with the old ack.
    s.chsk.send('lossy', ['x/n', 3]);
    await s.settled();
    const again = await rawPoll(s.url, c, { ack: ackBefore });
    expect(bare(again.messages)).toEqual([ev('x/n', 1), ev('x/n', 2), ev('x/n', 3)]);
    expect(Number(again.headers.get(AjaxHeader.Seq))).toBe(ackBefore + 3);
    const bad = await rawPoll(s.url, c, { ack: c.ack + 10 });
    expect([bad.status, bad.json?.code]).toEqual([400, 'CHSK_BAD_MESSAGE']);
  });

  test('server close() answers held polls at once, marked closed 1001', async () => {
    const s = await server();
    const c = await rawHandshake(s.url);
    const arrived = received(s);
    const held = rawPoll(s.url, c);
    await arrived;
    await s.chsk.close();
    const a = await held;
    expect(a.status).toBe(204);
    expect(a.headers.get(AjaxHeader.Closed)).toBe('1001');
  });
});

describe('POST', () => {
  test.each([jsonPacker, msgpackPacker])('carries events and requests (%#); replies come on the poll', async (packer) => {
    const s = await server({ packer });
    const seen = lastValueFrom(s.chsk.events$.pipe(filter((m) => m.id.startsWith('x/')), take(2), toArray()));
    s.chsk.events$.subscribe((m) => m.reply?.({ got: m.data }));
    const c = await rawHandshake(s.url, { packer });
    const post = await rawPost(s.url, c, [ev('x/event', 1), { t: 'q', rid: 7, ev: ['x/request', 2] }], { packer });
    expect(post.status).toBe(204);
    expect((await seen).map((m) => [m.id, m.data, m.transport])).toEqual([
      ['x/event', 1, 'ajax'],
      ['x/request', 2, 'ajax'],
    ]);
    const poll = await rawPoll(s.url, c, { packer });
    expect(poll.messages).toEqual([{ t: 'r', rid: 7, d: { got: 2 } }]);
  });

  test.each([jsonPacker, msgpackPacker])(
    'with x-chsk-ack (%#), the replies of handlers that answer at once ride back on the POST answer, counted in the sequence',
    async (packer) => {
      const s = await server({ packer });
      s.chsk.events$.subscribe((m) => m.reply?.({ got: m.data }));
      const c = await rawHandshake(s.url, { packer });
      const a0 = c.ack; // frames received with the handshake (rawPoll moves c.ack on)
      // A poll is held meanwhile: it must stay held (the reply does not go to it as well).
      const heldPoll = rawPoll(s.url, c, { packer, ack: a0 });
      let pollAnswered = false;
      void heldPoll.then(() => (pollAnswered = true));
      const post = await rawPost(s.url, c, [{ t: 'q', rid: 1, ev: ['x/a', 1] }, { t: 'q', rid: 2, ev: ['x/b', 2] }], {
        packer,
        headers: { [AjaxHeader.Ack]: String(a0) },
      });
      expect(post.status).toBe(200);
      expect(post.messages).toEqual([
        { t: 'r', rid: 1, d: { got: 1 } },
        { t: 'r', rid: 2, d: { got: 2 } },
      ]);
      expect(Number(post.headers.get(AjaxHeader.Seq))).toBe(a0 + 2);
      expect(pollAnswered).toBe(false);
      // The next write answers the held poll with every frame not yet acknowledged (the client drops what it has).
      s.chsk.broadcast(['x/later', 3]);
      const poll = await heldPoll;
      expect(bare(poll.messages)).toEqual([...post.messages, { t: 'e', ev: ['x/later', 3] }]);
      // A POST that acknowledges them trims the queue: its answer carries only what is new.
      const next = await rawPost(s.url, c, [{ t: 'q', rid: 3, ev: ['x/c', 4] }], { packer, headers: { [AjaxHeader.Ack]: String(a0 + 3) } });
      expect(next.messages).toEqual([{ t: 'r', rid: 3, d: { got: 4 } }]);
      expect(Number(next.headers.get(AjaxHeader.Seq))).toBe(a0 + 4);
    },
  );

  test('with x-chsk-ack, a reply that comes later goes on the poll, and a POST with nothing to carry is answered 204', async () => {
    const s = await server();
    s.chsk.events$.subscribe((m) => setImmediate(() => m.reply?.({ late: m.data })));
    const c = await rawHandshake(s.url);
    const polled = rawPoll(s.url, c);
    const post = await rawPost(s.url, c, [{ t: 'q', rid: 9, ev: ['x/slow', 1] }], { headers: { [AjaxHeader.Ack]: String(c.ack) } });
    expect(post.status).toBe(204);
    expect((await polled).messages).toEqual([{ t: 'r', rid: 9, d: { late: 1 } }]);
  });

  test.each(['-1', 'abc', '1e3', '99'])('a POST whose x-chsk-ack is %p (not a count of frames sent) is refused 400 and none of it is used', async (ack) => {
    const s = await server();
    const seen: unknown[] = [];
    s.chsk.events$.pipe(filter((m) => m.id.startsWith('x/'))).subscribe((m) => seen.push(m.id));
    const c = await rawHandshake(s.url);
    const post = await rawPost(s.url, c, [ev('x/never')], { headers: { [AjaxHeader.Ack]: ack } });
    expect(post.status).toBe(400);
    expect(post.json).toMatchObject({ code: 'CHSK_BAD_MESSAGE' });
    // The connection still works, and the refused frames never reached the core.
    const ok = await rawPost(s.url, c, [ev('x/ok')]);
    expect(ok.status).toBe(204);
    await waitFor(interval(5), () => seen.includes('x/ok'));
    expect(seen).toEqual(['x/ok']);
  });

  test('the Ajax client reads replies from POST answers: a run of requests holds one poll instead of one per reply', async () => {
    const s = await server({}, { client: { type: 'ajax' } });
    s.chsk.events$.subscribe((m) => m.reply?.(m.data));
    const seen: string[] = [];
    const counting: FetchLike = (url, init) => {
      seen.push(init.method);
      return fetch(url, init as RequestInit);
    };
    const c = await s.connected({ fetch: counting });
    const before = seen.filter((m) => m === 'GET').length;
    for (let i = 0; i < 20; i++) await expect(firstValueFrom(c.send(['x/echo', i]))).resolves.toBe(i);
    expect(seen.filter((m) => m === 'POST')).toHaveLength(20);
    expect(seen.filter((m) => m === 'GET').length - before).toBeLessThanOrEqual(1);
    // Pushes still come on the held poll.
    const pushed = firstValueFrom(c.events$);
    s.chsk.broadcast(['x/push', 'hi']);
    await expect(pushed).resolves.toEqual(['x/push', 'hi']);
  });

  test('a wrong content-type is refused 415 and the connection is closed', async () => {
    const s = await server();
    const c = await rawHandshake(s.url);
    const r = await rawPost(s.url, c, [], { contentType: 'application/x-www-form-urlencoded', body: 'a=b' });
    expect([r.status, r.json?.code]).toEqual([415, 'CHSK_BAD_CONTENT_TYPE']);
    expect(r.headers.get('connection')).toBe('close');
    const m = await server({ packer: msgpackPacker });
    const mc = await rawHandshake(m.url, { packer: msgpackPacker });
    const t = await rawPost(m.url, mc, [], { contentType: 'text/plain', body: '{}' });
    expect(t.status).toBe(415);
  });

  test('a body over the limit is refused 413 and the connection is closed', async () => {
    const s = await server({ maxFrameBytes: 1000 });
    const c = await rawHandshake(s.url);
    const r = await rawPost(s.url, c, [ev('x/big', 'x'.repeat(5000))]);
    expect([r.status, r.json?.code]).toEqual([413, 'CHSK_TOO_LARGE']);
    expect(r.headers.get('connection')).toBe('close');
  });

  test('a malformed body is refused 400 CHSK_BAD_FRAME and none of it is used', async () => {
    const s = await server({ packer: msgpackPacker });
    const got: unknown[] = [];
    s.chsk.events$.pipe(filter((m) => m.id.startsWith('x/'))).subscribe((m) => got.push(m.data));
    const c = await rawHandshake(s.url, { packer: msgpackPacker });
    const good = msgpackPacker.pack(ev('x/ok', 1)) as Uint8Array;
    const body = new Uint8Array(4 + good.length + 4 + 2);
    new DataView(body.buffer).setUint32(0, good.length);
    body.set(good, 4);
    new DataView(body.buffer).setUint32(4 + good.length, 999); // claims 999 bytes, has 2
    const r = await rawPost(s.url, c, [], { packer: msgpackPacker, body });
    expect([r.status, r.json?.code]).toEqual([400, 'CHSK_BAD_FRAME']);
    const j = await server();
    const jc = await rawHandshake(j.url);
    const utf = await rawPost(j.url, jc, [], { body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    expect([utf.status, utf.json?.code]).toEqual([400, 'CHSK_BAD_FRAME']);
    expect(got).toEqual([]);
  });

  test('a bad frame inside a good body is refused on the poll, and its neighbours still go through', async () => {
    const s = await server();
    const got: unknown[] = [];
    s.chsk.events$.pipe(filter((m) => m.id.startsWith('x/'))).subscribe((m) => got.push(m.data));
    const c = await rawHandshake(s.url);
    const r = await rawPost(s.url, c, [], { body: `${JSON.stringify(ev('x/a', 1))}\n{not json\n${JSON.stringify(ev('x/b', 2))}` });
    expect(r.status).toBe(204);
    expect(got).toEqual([1, 2]);
    const p = await rawPoll(s.url, c);
    expect(p.messages).toEqual([expect.objectContaining({ t: 'x', code: 'CHSK_BAD_FRAME' })]);
  });
});

describe('lifecycle', () => {
  test('the queue is bounded: overflow closes the connection with 4507 and reports CHSK_QUEUE_FULL', async () => {
    const s = await server({ maxAjaxQueue: 5 });
    const report = waitFor(s.chsk.errors$, (e) => e.code === 'CHSK_QUEUE_FULL');
    const c = await rawHandshake(s.url, { uid: 'slow' });
    for (let i = 0; i < 10; i++) s.chsk.send('slow', ['x/n', i]);
    await report;
    const p = await rawPoll(s.url, c);
    // The bound counts every frame not yet acknowledged: the handshake and four pushes.
    expect(bare(p.messages)).toEqual([0, 1, 2, 3].map((i) => ev('x/n', i)));
    expect(p.headers.get(AjaxHeader.Closed)).toBe('4507');
  });

  test('a client that vanishes mid-poll leaves connectedUids$ after the grace period', async () => {
    const s = await server({ ajaxGraceMs: 50, longPollTimeoutMs: 10_000 });
    const gone = waitFor(s.chsk.events$, (m) => m.id === 'chsk/uidport-close' && m.data === 'ghost');
    const c = await rawHandshake(s.url, { uid: 'ghost' });
    await waitFor(s.chsk.connectedUids$, (u) => u.ajax.has('ghost'));
    const ac = new AbortController();
    const arrived = received(s);
    const poll = rawPoll(s.url, c, { signal: ac.signal }).catch(() => 'aborted');
    await arrived;
    ac.abort();
    await expect(poll).resolves.toBe('aborted');
    await waitFor(s.chsk.connectedUids$, (u) => !u.any.has('ghost') && !u.ajax.has('ghost'));
    await gone;
  });

  test('DELETE closes the connection at once; a later poll learns it was closed (1000)', async () => {
    const s = await server({ ajaxGraceMs: 1000 });
    const c = await rawHandshake(s.url, { uid: 'bye' });
    const closed = waitFor(s.chsk.connectedUids$, (u) => !u.ajax.has('bye'), 3000);
    const r = await fetch(`${s.url}?cid=${c.cid}`, { method: 'DELETE', headers: { [AjaxHeader.Token]: c.token } });
    expect(r.status).toBe(204);
    const p = await rawPoll(s.url, c);
    expect(p.headers.get(AjaxHeader.Closed)).toBe('1000');
    const q = await rawPost(s.url, c, [ev('x/y')]);
    expect([q.status, q.json?.code]).toEqual([410, 'CHSK_CLOSED']);
    await closed;
  });

  test('one uid on ws and on ajax at once: send(uid) reaches both, connectedUids$ lists both', async () => {
    const s = await server({ ajaxGraceMs: 50 });
    const onWs = await s.connected({ type: 'ws', params: { uid: 'gina' } });
    const onAjax = await s.connected({ type: 'ajax', params: { uid: 'gina' } });
    expect([onWs.state$.value.type, onAjax.state$.value.type]).toEqual(['ws', 'ajax']);
    await waitFor(s.chsk.connectedUids$, (u) => u.ws.has('gina') && u.ajax.has('gina') && u.any.has('gina'));
    const both = Promise.all([onWs, onAjax].map((c) => firstValueFrom(c.events$)));
    expect(s.chsk.send('gina', ['x/both', 1])).toBe(2);
    await expect(both).resolves.toEqual([
      ['x/both', 1],
      ['x/both', 1],
    ]);
    onAjax.disconnect();
    await waitFor(s.chsk.connectedUids$, (u) => u.ws.has('gina') && !u.ajax.has('gina'));
  });
});

describe('Ajax client', () => {
  test('presents the CSRF token on every request', async () => {
    const s = await server({ csrfToken: () => 'tok' }, { client: { type: 'ajax', csrfToken: 'tok' } });
    s.chsk.events$.subscribe((m) => m.reply?.(m.data));
    const c = await s.connected();
    await expect(firstValueFrom(c.send(['x/echo', 1]))).resolves.toBe(1);
  });

  test.each([jsonPacker, msgpackPacker])('splits frames written in one tick across POSTs under the body limit, in order (%#)', async (packer) => {
    const s = await server({ packer, maxFrameBytes: 2000 }, { client: { type: 'ajax' } });
    const posts: number[] = [];
    s.http.prependListener('request', (req) => {
      if (req.method === 'POST') posts.push(Number(req.headers['content-length']));
    });
    const seen = lastValueFrom(s.chsk.events$.pipe(filter((m) => m.id === 'x/chunk'), take(20), toArray()));
    const c = await s.connected();
    // Each emit completes on its acknowledgement (they used to complete on the write).
    const acked = Promise.all(Array.from({ length: 20 }, (_, i) => lastValueFrom(c.emit(['x/chunk', { i, pad: 'p'.repeat(400) }]), { defaultValue: undefined })));
    await acked;
    expect((await seen).map((m) => (m.data as { i: number }).i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(posts.length).toBeGreaterThan(1);
    for (const n of posts) expect(n).toBeLessThanOrEqual(2004);
  });

  test('a frame over the server limit ends the link (1009): the request fails, the client reconnects', async () => {
    const s = await server({ maxFrameBytes: 500 }, { client: { type: 'ajax', backoff: () => 0 } });
    const c = await s.connected();
    const err = await firstValueFrom(c.send(['x/big', 'x'.repeat(2000)])).catch((e: unknown) => e);
    // Written, and the close (1009) says the server will not take it: not sent again.
    expect(err).toMatchObject({ code: 'CHSK_UNCERTAIN' });
    await waitFor(c.state$, (st) => st.open && st.reconnectAttempt === 0 && st.lastClose?.reason === 'unexpected');
  });

  test('a poll that fails on the network is asked again (same ack), up to five times, before the link ends', async () => {
    const s = await server({}, { client: { type: 'ajax', backoff: () => 0 } });
    let failPolls = 0;
    const flaky: FetchLike = (url, init) => {
      if (init.method === 'GET' && init.headers[AjaxHeader.Token] && failPolls > 0) {
        failPolls--;
        return Promise.reject(new TypeError('fetch failed'));
      }
      return fetch(url, init as RequestInit);
    };
    const c = await s.connected({ fetch: flaky, params: { uid: 'flaky' } });
    const closes: unknown[] = [];
    c.state$.pipe(filter((st) => !st.open)).subscribe((st) => closes.push(st.lastClose));
    const got: unknown[] = [];
    c.events$.subscribe((e) => got.push(e));
    failPolls = 1; // the poll after the next answer fails once
    s.chsk.send('flaky', ['x/p', 1]);
    await waitFor(interval(5), () => got.length === 1 && failPolls === 0);
    s.chsk.send('flaky', ['x/p', 2]);
    await waitFor(interval(5), () => got.length === 2);
    expect(got).toEqual([
      ['x/p', 1],
      ['x/p', 2],
    ]);
    expect(closes).toEqual([]);
    // Failing twice in a row no longer ends the link (issue 10 #13: the server still holds the frames).
    failPolls = 2;
    s.chsk.send('flaky', ['x/p', 3]);
    await waitFor(interval(5), () => got.length === 3);
    expect(closes).toEqual([]);
    // The first try and all five retries (0 + 250 + 500 + 1000 + 2000 ms) failing do end it.
    failPolls = 6;
    s.chsk.send('flaky', ['x/p', 4]);
    const down = await waitFor(c.state$, (st) => !st.open, 8_000);
    expect(down.lastClose?.reason).toBe('unexpected');
    await waitFor(c.state$, (st) => st.open);
  }, 15_000);

  test('disconnect() tells the server (DELETE), so the uid leaves without waiting for a poll gap', async () => {
    const s = await server({ ajaxGraceMs: 50, longPollTimeoutMs: 60_000 }, { client: { type: 'ajax' } });
    const c = await s.connected({ params: { uid: 'leaver' } });
    const cid = c.state$.value.clientId;
    const deletes = new Promise<string | undefined>((resolve) => {
      s.http.prependListener('request', (req) => {
        if (req.method === 'DELETE') resolve(new URL(req.url ?? '', 'http://x').searchParams.get('cid') ?? undefined);
      });
    });
    c.disconnect();
    await expect(deletes).resolves.toBe(cid);
    await waitFor(s.chsk.connectedUids$, (u) => !u.any.has('leaver'));
  });
});
