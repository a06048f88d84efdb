/**
 * Origin checks on the WebSocket upgrade (cross-site WebSocket hijacking, CWE-1385). Default: the Origin must
 * name the request's own host:port; a request without Origin (a non-browser client) passes.
 */
import { ConfigError } from '../../src/errors/ConfigError';
import { createChannelSocketServer } from '../../src/server';
import { startSecurityServer, tryHandshake, type SecurityServer } from './support';
import { jsonPacker } from '../../src/packers/jsonPacker';

const close = (r: { ws?: { terminate(): void } }) => r.ws?.terminate();

describe('default origin policy (same host)', () => {
  let s: SecurityServer;
  beforeAll(async () => {
    s = await startSecurityServer(jsonPacker);
  });
  afterAll(() => s.stop());

  it('admits a request without Origin (non-browser clients; browsers always send one on upgrades)', async () => {
    const r = await tryHandshake(s.url);
    expect(r.status).toBe(101);
    close(r);
  });

  it('admits the page of the same host:port', async () => {
    const r = await tryHandshake(s.url, { headers: { Origin: `http://${s.host}` } });
    expect(r.status).toBe(101);
    close(r);
  });

  it('ignores the scheme (TLS may end at a proxy): https on the same host:port is admitted', async () => {
    const r = await tryHandshake(s.url, { headers: { Origin: `https://${s.host}` } });
    expect(r.status).toBe(101);
    close(r);
  });

  it.each([
    ['another site', () => 'https://evil.example'],
    ['the opaque origin "null" (sandboxed iframes, file: pages)', () => 'null'],
    ['our host as a prefix of another domain', () => `http://127.0.0.1.evil.com:${s.port}`],
    ['our host without the port', () => 'http://127.0.0.1'],
    ['our host on another port', () => `http://127.0.0.1:${s.port + 1}`],
    ['another loopback name', () => `http://localhost:${s.port}`],
    ['a browser extension', () => 'chrome-extension://abcdefghijklmnop'],
    ['a malformed origin', () => 'http://[::1'],
    ['two origins in one header', () => `http://${s.host}, https://evil.example`],
  ])('refuses %s with 403 CHSK_REJECTED (cross-site WebSocket hijacking)', async (_n, origin) => {
    const r = await tryHandshake(s.url, { headers: { Origin: origin() } });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({ code: 'CHSK_REJECTED', message: 'origin not allowed' });
  });

  describe('behind a Host name', () => {
    const host = 'app.example.com';
    it('admits https://app.example.com', async () => {
      const r = await tryHandshake(s.url, { headers: { Host: host, Origin: `https://${host}` } });
      expect(r.status).toBe(101);
      close(r);
    });
    it.each([
      'https://app.example.com.evil.com',
      'https://evil.app.example.com',
      'https://example.com',
      'http://app.example.com:8080',
      'https://app-example.com',
    ])('refuses %s', async (origin) => {
      expect((await tryHandshake(s.url, { headers: { Host: host, Origin: origin } })).status).toBe(403);
    });
  });

  it('refuses a cross-site page that rides on the victim’s session cookie, and nobody connects', async () => {
    // A victim's browser sends its cookies with any upgrade; only Origin tells the hijack apart.
    const s2 = await startSecurityServer(jsonPacker, {
      userId: (req) => (String(req.headers.cookie ?? '').includes('sid=victim') ? 'victim' : null),
    });
    try {
      const opened: string[] = [];
      s2.chsk.events$.subscribe((m) => m.id === 'chsk/uidport-open' && opened.push(m.data as string));
      const r = await tryHandshake(s2.url, { headers: { Origin: 'https://evil.example', Cookie: 'sid=victim' } });
      expect(r.status).toBe(403);
      expect(s2.chsk.connectedUids$.value.any.has('victim')).toBe(false);
      const ok = await tryHandshake(s2.url, { headers: { Origin: `http://${s2.host}`, Cookie: 'sid=victim' } });
      expect(ok.status).toBe(101);
      expect(JSON.parse(ok.firstFrame!)).toMatchObject({ t: 'hs', uid: 'victim' });
      expect(opened).toEqual(['victim']);
      close(ok);
    } finally {
      await s2.stop();
    }
  });
});

describe('allowedOrigins', () => {
  it('is an exact allow-list that replaces the same-host default', async () => {
    const s = await startSecurityServer(jsonPacker, { allowedOrigins: ['https://app.example.com'] });
    try {
      const ok = await tryHandshake(s.url, { headers: { Origin: 'https://app.example.com' } });
      expect(ok.status).toBe(101);
      close(ok);
      for (const origin of ['http://app.example.com', 'https://app.example.com/', 'HTTPS://APP.EXAMPLE.COM', 'https://app.example.com:443', `http://${s.host}`]) {
        expect([origin, (await tryHandshake(s.url, { headers: { Origin: origin } })).status]).toEqual([origin, 403]);
      }
      const none = await tryHandshake(s.url);
      expect(none.status).toBe(101);
      close(none);
    } finally {
      await s.stop();
    }
  });

  it("'*' admits any origin", async () => {
    const s = await startSecurityServer(jsonPacker, { allowedOrigins: '*' });
    try {
      const r = await tryHandshake(s.url, { headers: { Origin: 'https://evil.example' } });
      expect(r.status).toBe(101);
      close(r);
    } finally {
      await s.stop();
    }
  });

  it('must be * or an array', () => {
    expect(() => createChannelSocketServer({ allowedOrigins: 'https://app.example.com' as never })).toThrow(ConfigError);
  });
});
