import { rawHandshake, rawPoll, type RawConn } from '../support/ajaxRaw';
import { startServer, WAIT_MS } from '../support/harness';
import { eventually, tryHandshake } from './support';
import type { ChskRequest } from '../../src/protocol/events';
import type { ServerErrorReport } from '../../src/server';
import { createChannelSocketServer } from '../../src/server';

/** Retries an anonymous handshake refused with 429 until it passes (bounded by WAIT_MS). */
async function handshakeOnceThereIsRoom(url: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      return void (await rawHandshake(url));
    } catch (e) {
      if (!/429/.test(String(e)) || Date.now() > deadline) throw e;
      await new Promise((r) => setImmediate(r));
    }
  }
}

// Issue 10 #17: anonymous Ajax handshakes cost ~10 KB each with no per-IP cap, the Ajax handshake's hooks had no
// deadline (a WebSocket upgrade has handshakeTimeoutMs), and neither had the upgrade probe.
describe('Ajax handshake limits', () => {
  test('maxAnonymousAjaxPerIp caps open connections without a uid from one IP (429, reported); users with a uid are not counted', async () => {
    // The count holds until the connection's state is released: ajaxGraceMs after it closed. The others keep
    // a poll held, so they stay (a connection that never polls would be released after the grace as well).
    const s = await startServer({ maxAnonymousAjaxPerIp: 3, ajaxGraceMs: 1000 });
    const reports: ServerErrorReport[] = [];
    const sub = s.chsk.errors$.subscribe((r) => reports.push(r));
    const polls = new AbortController();
    const hold = async (): Promise<RawConn> => {
      const c = await rawHandshake(s.url);
      void rawPoll(s.url, c, { signal: polls.signal }).catch(() => undefined);
      return c;
    };
    try {
      const anon = [];
      for (let i = 0; i < 3; i++) anon.push(await hold());
      await expect(rawHandshake(s.url)).rejects.toThrow(/429.*CHSK_TOO_MANY_CONNECTIONS/);
      await eventually(() => reports.some((r) => r.code === 'CHSK_TOO_MANY_CONNECTIONS' && /maxAnonymousAjaxPerIp/.test(r.message)), 'a report');
      await expect(rawHandshake(s.url, { uid: 'known' })).resolves.toMatchObject({ handshake: { uid: 'known' } });
      // One leaves (DELETE): there is room again once it is released.
      const del = await fetch(`${s.url}?cid=${anon[0].cid}`, { method: 'DELETE', headers: { 'x-chsk-token': anon[0].token } });
      expect(del.status).toBe(204);
      await handshakeOnceThereIsRoom(s.url);
      // ... for one more only.
      await expect(rawHandshake(s.url)).rejects.toThrow(/429.*CHSK_TOO_MANY_CONNECTIONS/);
    } finally {
      polls.abort();
      sub.unsubscribe();
      await s.stop();
    }
  });

  test('an Ajax handshake whose hooks never finish is answered 503 CHSK_HANDSHAKE_TIMEOUT after handshakeTimeoutMs (reported)', async () => {
    const s = await startServer({ handshakeTimeoutMs: 200, authorize: () => new Promise<boolean>(() => undefined) });
    const reports: ServerErrorReport[] = [];
    const sub = s.chsk.errors$.subscribe((r) => reports.push(r));
    try {
      await expect(rawHandshake(s.url)).rejects.toThrow(/503.*CHSK_HANDSHAKE_TIMEOUT/);
      expect(reports.map((r) => r.code)).toContain('CHSK_HANDSHAKE_TIMEOUT');
    } finally {
      sub.unsubscribe();
      await s.stop();
    }
  });

  test('an upgrade probe whose middleware never finishes is answered 503 CHSK_HANDSHAKE_TIMEOUT (reported)', async () => {
    const hang = (req: ChskRequest, _res: unknown, next: () => void) => {
      if (!(req.url ?? '').includes('upgrade=1')) next(); // the probe hangs, plain upgrades pass
    };
    const s = await startServer({ handshakeTimeoutMs: 200, upgradeMiddleware: [hang] });
    const reports: ServerErrorReport[] = [];
    const sub = s.chsk.errors$.subscribe((r) => reports.push(r));
    try {
      const conn = await rawHandshake(s.url, { cid: 'prober' });
      const r = await tryHandshake(s.url, { query: `v=1&cid=prober&upgrade=1`, protocols: ['sente-rx.v1', `tk.${conn.token}`] });
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'CHSK_HANDSHAKE_TIMEOUT' });
      expect(reports.map((x) => x.code)).toContain('CHSK_HANDSHAKE_TIMEOUT');
    } finally {
      sub.unsubscribe();
      await s.stop();
    }
  });

  test.each([0, -1, 1.5, NaN])('maxAnonymousAjaxPerIp %p is refused with CHSK_BAD_OPTION', (n) => {
    expect(() => createChannelSocketServer({ maxAnonymousAjaxPerIp: n })).toThrow(/maxAnonymousAjaxPerIp/);
  });
});
