import { filter, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { RemoteError } from '../../src';
import { MATRIX, startServer, waitFor, type TestServer } from '../support/harness';

/** The core's integration suite, over every transport with both packers. */
describe.each(MATRIX)('over $type with $packerName', ({ type, packer }) => {
  const linkType = type === 'ajax' ? 'ajax' : 'ws';
  let s: TestServer<Record<string, { data: unknown; reply: unknown }>>;

  beforeEach(async () => {
    s = await startServer({ packer, handshakeData: () => ({ motd: 'hi' }) }, { client: { type } });
    s.chsk.events$.subscribe((m) => {
      if (m.id === 'test/echo') m.reply?.({ echo: m.data, transport: m.transport });
      if (m.id === 'test/fail') m.reply?.error('APP_NOPE', 'no such thing');
    });
  });
  afterEach(() => s.stop());

  test('handshake: uid, handshake data, transport type and connectedUids$', async () => {
    const c = await s.connected({ params: { uid: 'alice' } });
    expect(c.state$.value).toMatchObject({ open: true, uid: 'alice', type: linkType, firstOpen: true, handshakeData: { motd: 'hi' } });
    const u = await waitFor(s.chsk.connectedUids$, (x) => x[linkType].has('alice'));
    expect(u.any.has('alice')).toBe(true);
  });

  test('request/reply, and an error reply becomes RemoteError', async () => {
    const c = await s.connected({ params: { uid: 'bob' } });
    await expect(firstValueFrom(c.send(['test/echo', { n: 1, s: 'é€😀' }]))).resolves.toEqual({
      echo: { n: 1, s: 'é€😀' },
      transport: linkType,
    });
    const err = await firstValueFrom(c.send(['test/fail', null])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ code: 'APP_NOPE' });
  });

  test('many requests in flight each get their own reply', async () => {
    const c = await s.connected();
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => firstValueFrom(c.send(['test/echo', i]))));
    expect(replies.map((r) => (r as { echo: number }).echo)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('send(uid) reaches every client of the uid; broadcast reaches everyone', async () => {
    const a1 = await s.connected({ params: { uid: 'carol' } });
    const a2 = await s.connected({ params: { uid: 'carol' } });
    const b = await s.connected({ params: { uid: 'dave' } });
    const got = Promise.all([a1, a2].map((c) => firstValueFrom(c.events$)));
    expect(s.chsk.send('carol', ['test/push', { to: 'carol' }])).toBe(2);
    await expect(got).resolves.toEqual([
      ['test/push', { to: 'carol' }],
      ['test/push', { to: 'carol' }],
    ]);
    const all = Promise.all([a1, a2, b].map((c) => firstValueFrom(c.events$)));
    expect(s.chsk.broadcast(['test/all', 7])).toBe(3);
    await expect(all).resolves.toEqual([
      ['test/all', 7],
      ['test/all', 7],
      ['test/all', 7],
    ]);
  });

  test('pushes arrive in order, including a burst', async () => {
    const c = await s.connected({ params: { uid: 'erin' } });
    const got = lastValueFrom(c.events$.pipe(take(300), toArray()));
    for (let i = 0; i < 300; i++) s.chsk.send('erin', ['test/n', i]);
    expect((await got).map((e) => e[1])).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  test('emits arrive in order with the transport they came on', async () => {
    const seen = lastValueFrom(s.chsk.events$.pipe(filter((m) => m.id === 'test/e'), take(20), toArray()));
    const c = await s.connected();
    // Each emit completes on the server's acknowledgement (it used to complete on the write).
    await Promise.all(Array.from({ length: 20 }, (_, i) => lastValueFrom(c.emit(['test/e', i]), { defaultValue: undefined })));
    const msgs = await seen;
    expect(msgs.map((m) => m.data)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(msgs.map((m) => m.transport))).toEqual(new Set([linkType]));
  });

  test('sends made before the handshake wait in the buffer and go out in order', async () => {
    const seen = lastValueFrom(s.chsk.events$.pipe(filter((m) => m.id === 'test/early'), take(5), toArray()));
    const c = s.client();
    await Promise.all(Array.from({ length: 5 }, (_, i) => lastValueFrom(c.emit(['test/early', i]), { defaultValue: undefined })));
    expect((await seen).map((m) => m.data)).toEqual([0, 1, 2, 3, 4]);
  });

  test('server close(): the client sees a clean close and in-flight requests fail', async () => {
    const c = await s.connected();
    const arrived = waitFor(s.chsk.events$, (m) => m.id === 'test/never'); // a request nobody answers
    const pending = firstValueFrom(c.send(['test/never', null])).catch((e: unknown) => e);
    await arrived;
    const closed = waitFor(c.state$, (st) => !st.open && st.lastClose !== null);
    await s.chsk.close();
    expect((await closed).lastClose?.reason).toBe('clean');
    // Written and unanswered, and the server shut down (1001: its dedupe record may be gone): not sent again.
    expect(await pending).toMatchObject({ code: 'CHSK_UNCERTAIN' });
  });

  test('a uid leaves connectedUids$ after its client disconnects and the grace period', async () => {
    await s.stop();
    s = await startServer({ packer, wsGraceMs: 50, ajaxGraceMs: 50 }, { client: { type } });
    const ports = lastValueFrom(s.chsk.events$.pipe(take(2), toArray()));
    const c = await s.connected({ params: { uid: 'frank' } });
    await waitFor(s.chsk.connectedUids$, (u) => u.any.has('frank'));
    c.disconnect();
    await waitFor(s.chsk.connectedUids$, (u) => !u.any.has('frank'));
    expect((await ports).map((m) => m.id)).toEqual(['chsk/uidport-open', 'chsk/uidport-close']);
  });
});
