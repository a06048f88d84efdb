import express from 'express';
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import WebSocket from 'ws';
import { createChannelSocketClient } from '../../src/client';
import type { ChskRequest } from '../../src/protocol/events';
import { createChannelSocketServer, type ServerErrorReport, type ServerOptions } from '../../src/server';
import { rawHandshake, rawPost } from '../support/ajaxRaw';
import { startServer, waitFor } from '../support/harness';
import { tryHandshake } from '../security/support';

// Issue 10 #10: a refused upgrade, handshake or POST was answered but never reported, so a misconfiguration
// (a dev proxy with changeOrigin, a CSRF accessor that finds nothing) was silent on the server.
describe("refusals are reported on the server's errors$ with their reason", () => {
  async function withReports(o: ServerOptions, f: (url: string, reports: ServerErrorReport[]) => Promise<void>) {
    const s = await startServer(o);
    const reports: ServerErrorReport[] = [];
    s.chsk.errors$.subscribe((e) => reports.push(e));
    try {
      await f(s.url, reports);
    } finally {
      await s.stop();
    }
  }
  const port = (url: string) => new URL(url).port;

  test("a dev proxy's changeOrigin: the WebSocket upgrade is refused as 'origin', naming the fix", () =>
    withReports({}, async (url, reports) => {
      // The proxy rewrote Host to the server's, the page's Origin stayed http://localhost:3000.
      const r = await tryHandshake(url, { headers: { Origin: 'http://localhost:3000' } });
      expect(r.status).toBe(403);
      expect(reports).toEqual([
        expect.objectContaining({ code: 'CHSK_REJECTED', reason: 'origin', message: expect.stringMatching(/http:\/\/localhost:3000.*allowedOrigins/s) }),
      ]);
      expect(reports[0].message).toContain(`127.0.0.1:${port(url)}`);
    }));

  test("an Ajax handshake from another origin is reported as 'origin'", () =>
    withReports({}, async (url, reports) => {
      await expect(rawHandshake(url, { headers: { Origin: 'https://evil.example' } })).rejects.toThrow(/403/);
      expect(reports).toEqual([expect.objectContaining({ code: 'CHSK_REJECTED', reason: 'origin' })]);
    }));

  test("a CORS preflight from an origin that is not allowed is reported as 'origin'", () =>
    withReports({ allowedOrigins: ['https://app.example'] }, async (url, reports) => {
      const r = await fetch(url, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(r.status).toBe(403);
      expect(reports).toEqual([expect.objectContaining({ code: 'CHSK_REJECTED', reason: 'origin', message: expect.stringContaining('https://app.example') })]);
    }));

  test("a POST with a wrong CSRF token is reported as 'csrf'; a session without a token as 'no-csrf-token'", () =>
    withReports({ csrfToken: (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('csrf') ?? undefined }, async (url, reports) => {
      const conn = await rawHandshake(`${url}`, { headers: { 'x-csrf-token': 'good' } }).catch(() => undefined);
      expect(conn).toBeUndefined(); // no csrf query: the accessor finds no token
      expect(reports.map((r) => r.reason)).toEqual(['no-csrf-token']);
      const c = await rawHandshake(`${url}`, { headers: { 'x-csrf-token': 'good' }, cid: 'csrf1' }).catch(() => undefined);
      expect(c).toBeUndefined();
      const ok = await fetch(`${url}?v=1&hs=1&cid=csrf2&csrf=good`, { headers: { 'x-csrf-token': 'good' } });
      expect(ok.status).toBe(200);
      const tk = ((await ok.text()).match(/"tk":"([^"]+)"/) ?? [])[1]!;
      reports.length = 0;
      const a = await rawPost(`${url}`, { cid: 'csrf2', token: tk, ack: 0, handshake: { uid: null, tk }, messages: [] }, [{ t: 'e', ev: ['x/y'] }], {
        headers: { 'x-csrf-token': 'bad' },
        query: { csrf: 'good' },
      });
      expect(a.status).toBe(403);
      expect(reports).toEqual([expect.objectContaining({ code: 'CHSK_REJECTED', reason: 'csrf', clientId: 'csrf2' })]);
    }));

  test("authorize refusing is 'unauthorized' (a throwing authorize is CHSK_HOOK_FAILED, reported once)", async () => {
    let mode: 'no' | 'throw' = 'no';
    const boom = new Error('db down');
    await withReports(
      {
        authorize: () => {
          if (mode === 'throw') throw boom;
          return false;
        },
      },
      async (url, reports) => {
        expect((await tryHandshake(url)).status).toBe(401);
        await expect(rawHandshake(url)).rejects.toThrow(/401/);
        mode = 'throw';
        expect((await tryHandshake(url)).status).toBe(500);
        expect(reports.map((r) => [r.code, r.reason, r.error])).toEqual([
          ['CHSK_REJECTED', 'unauthorized', undefined],
          ['CHSK_REJECTED', 'unauthorized', undefined],
          ['CHSK_HOOK_FAILED', undefined, boom],
        ]);
      },
    );
  });
});

describe('a WebSocket upgrade without the session that Ajax requests have', () => {
  test('is warned about once on errors$ (upgradeMiddleware forgotten)', async () => {
    const app = express();
    // The app's session middleware, mounted for HTTP routes only: the upgrade never passes through it.
    app.use((req, _res, next) => {
      (req as unknown as { session: { uid: string } }).session = { uid: 'sam' };
      next();
    });
    const chsk = createChannelSocketServer({});
    const reports: ServerErrorReport[] = [];
    chsk.errors$.subscribe((e) => reports.push(e));
    app.use('/chsk', chsk.router);
    const http = createServer(app);
    chsk.attach(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/chsk`;
    const clients = [];
    try {
      const ajax = createChannelSocketClient({ url, type: 'ajax' });
      clients.push(ajax);
      await waitFor(ajax.state$, (s) => s.open);
      expect(ajax.state$.value.uid).toBe('sam');
      for (let i = 0; i < 2; i++) {
        const ws = createChannelSocketClient({ url, type: 'ws', WebSocket });
        clients.push(ws);
        await waitFor(ws.state$, (s) => s.open);
        expect(ws.state$.value.uid).toBeNull();
      }
      expect(reports).toEqual([expect.objectContaining({ code: 'CHSK_UPGRADE_WITHOUT_SESSION', message: expect.stringContaining('upgradeMiddleware') })]);
    } finally {
      for (const c of clients) c.disconnect();
      await chsk.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });

  test('is not warned about when the upgrade has the session too', async () => {
    const session = (req: ChskRequest, _res: unknown, next: () => void) => {
      (req as unknown as { session: { uid: string } }).session = { uid: 'sam' };
      next();
    };
    const s = await startServer({ upgradeMiddleware: [session], userId: (req) => (req.session?.uid as string) ?? null });
    const reports: ServerErrorReport[] = [];
    s.chsk.errors$.subscribe((e) => reports.push(e));
    try {
      // The harness's app has no session middleware: give Ajax requests one through the same function.
      const ws = await s.connected({ type: 'ws' });
      expect(ws.state$.value.uid).toBe('sam');
      expect(reports).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
