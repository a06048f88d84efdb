/**
 * Limits enforced at the handshake: handshakeTimeoutMs (WebSocket) and maxConnectionsPerUid (WebSocket and
 * Ajax). (Frame, batch, pending, depth, rate and protocol-error limits are in the hostile corpus and in
 * ServerCore.limits.spec.ts.)
 */
import { request, type IncomingMessage } from 'http';
import { firstValueFrom } from 'rxjs';
import type { Duplex } from 'stream';
import { ErrorCode } from '../../src/protocol/codes';
import type { ServerOptions, UpgradeMiddleware } from '../../src/server';
import { rawHandshake, randomCid } from '../support/ajaxRaw';
import { AjaxHeader } from '../../src/protocol/ajax';
import { eventually, param, tryHandshake, withServer, type HandshakeResult, type SecurityServer } from './support';

describe('handshakeTimeoutMs', () => {
  const never = new Promise<never>(() => undefined);
  // Hooks that hang only when the request asks them to, so the same server also serves normal clients.
  const stuckMiddleware: UpgradeMiddleware = (req, _res, next) => {
    if (param(req, 'hang') !== 'middleware') next();
  };
  const options: ServerOptions = {
    handshakeTimeoutMs: 50,
    upgradeMiddleware: [stuckMiddleware],
    authorize: (req) => (param(req, 'hang') === 'authorize' ? never : true),
    userId: (req) => (param(req, 'hang') === 'userId' ? never : param(req, 'uid')),
    handshakeData: (req) => (param(req, 'hang') === 'handshakeData' ? never : undefined),
  };

  it.each(['middleware', 'authorize', 'userId', 'handshakeData'])(
    'answers 503 CHSK_HANDSHAKE_TIMEOUT when %s never finishes, reports it, and keeps serving',
    async (hook) => {
      await withServer(options, async (s) => {
        const r = await tryHandshake(s.url, { query: `v=1&cid=probe&hang=${hook}` });
        expect(r.status).toBe(503);
        expect(JSON.parse(r.body)).toEqual({ code: ErrorCode.HandshakeTimeout, message: 'the handshake timed out' });
        expect(s.reports.map((x) => x.code)).toEqual([ErrorCode.HandshakeTimeout]);
        const c = await s.connected();
        await expect(firstValueFrom(c.send(['test/echo', hook]))).resolves.toBe(hook);
      });
    },
  );

  it('does not answer twice when a hook finishes after the timeout', async () => {
    let release!: () => void;
    const late = new Promise<boolean>((r) => (release = () => r(true)));
    let admitted = false;
    const userId = () => ((admitted = true), 'late-user');
    await withServer({ handshakeTimeoutMs: 30, authorize: () => late, userId }, async (s) => {
      const r = await tryHandshake(s.url);
      expect(r.status).toBe(503);
      release();
      await eventually(() => admitted, 'the late admission to finish');
      await new Promise((r) => setImmediate(r)); // let its continuation run
      expect(s.chsk.connectedUids$.value.any.has('late-user')).toBe(false);
      expect(s.reports.map((x) => x.code)).toEqual([ErrorCode.HandshakeTimeout]);
    });
  });
});

describe('maxConnectionsPerUid', () => {
  const open = (s: SecurityServer, uid: string) => tryHandshake(s.url, { query: `v=1&cid=c${Math.random().toString(36).slice(2)}&uid=${uid}` });

  it('refuses one connection too many for a uid with 429 CHSK_TOO_MANY_CONNECTIONS, and admits it again after a close', async () => {
    await withServer({ maxConnectionsPerUid: 2 }, async (s) => {
      const a = await open(s, 'alice');
      const b = await open(s, 'alice');
      expect([a.status, b.status]).toEqual([101, 101]);
      const c = await open(s, 'alice');
      expect(c.status).toBe(429);
      expect(JSON.parse(c.body)).toEqual({ code: ErrorCode.TooManyConnections, message: 'too many connections for this user (maxConnectionsPerUid: 2)' });
      // Other users, and users without a uid, are not affected.
      const bob = await open(s, 'bob');
      expect(bob.status).toBe(101);
      const anon = await Promise.all([1, 2, 3].map(() => tryHandshake(s.url)));
      expect(anon.map((r) => r.status)).toEqual([101, 101, 101]);
      a.ws!.close();
      await eventually(() => countOf(s, 'alice') === 1, 'the server to see the close');
      const again = await open(s, 'alice');
      expect(again.status).toBe(101);
      for (const r of [b, bob, again, ...anon]) r.ws?.terminate();
    });
  });

  it('holds under concurrent handshakes', async () => {
    await withServer({ maxConnectionsPerUid: 2 }, async (s) => {
      const results: HandshakeResult[] = await Promise.all(Array.from({ length: 8 }, () => open(s, 'carol')));
      expect(results.map((r) => r.status).sort()).toEqual([101, 101, 429, 429, 429, 429, 429, 429]);
      for (const r of results) r.ws?.terminate();
    });
  });

  it('counts Ajax connections too, and refuses an Ajax handshake over the limit with 429', async () => {
    await withServer({ maxConnectionsPerUid: 2 }, async (s) => {
      const ajaxHandshake = (uid: string) => fetch(`${s.url}?v=1&hs=1&cid=${randomCid()}&uid=${uid}`);
      const ws = await open(s, 'dave');
      const ajax = await rawHandshake(s.url, { uid: 'dave' });
      const third = await ajaxHandshake('dave');
      expect(third.status).toBe(429);
      expect(await third.json()).toEqual({ code: ErrorCode.TooManyConnections, message: 'too many connections for this user (maxConnectionsPerUid: 2)' });
      expect((await open(s, 'dave')).status).toBe(429);
      expect(countOf(s, 'dave')).toBe(2);
      // Other users are not affected; the Ajax connection's close frees its place.
      const erin = await ajaxHandshake('erin');
      expect(erin.status).toBe(200);
      await erin.arrayBuffer();
      const bye = await fetch(`${s.url}?cid=${ajax.cid}`, { method: 'DELETE', headers: { [AjaxHeader.Token]: ajax.token } });
      expect(bye.status).toBe(204);
      await eventually(() => countOf(s, 'dave') === 1, 'the server to see the close');
      const again = await ajaxHandshake('dave');
      expect(again.status).toBe(200);
      await again.arrayBuffer();
      ws.ws?.terminate();
    });
  });

  it('holds under concurrent Ajax handshakes', async () => {
    await withServer({ maxConnectionsPerUid: 2 }, async (s) => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${s.url}?v=1&hs=1&cid=${randomCid()}&uid=frank`)));
      await Promise.all(answers.map((a) => a.arrayBuffer()));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429, 429, 429, 429, 429, 429]);
      expect(countOf(s, 'frank')).toBe(2);
    });
  });
});

/** Open connections of `uid` as the server counts them: `send` answers how many it wrote to. */
function countOf(s: SecurityServer, uid: string): number {
  return s.chsk.send(uid, ['test/count' as never, undefined as never] as never);
}

describe('upgrades to other paths', () => {
  it('are answered 404 when nobody else serves upgrades, and left to their owner otherwise', async () => {
    await withServer({}, async (s) => {
      const req = (path: string) =>
        new Promise<number>((resolve) => {
          const r = request({ port: s.port, host: '127.0.0.1', path, headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
          r.on('response', (res) => resolve(res.statusCode ?? 0));
          r.on('upgrade', (res, socket) => (socket.destroy(), resolve(res.statusCode ?? 0)));
          r.on('error', () => resolve(0));
          r.end();
        });
      expect(await req('/elsewhere')).toBe(404);
      const owner = (ireq: IncomingMessage, socket: Duplex) => {
        if (ireq.url === '/elsewhere') socket.end('HTTP/1.1 418 I\'m a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      };
      s.http.on('upgrade', owner);
      expect(await req('/elsewhere')).toBe(418);
      s.http.off('upgrade', owner);
    });
  });
});
