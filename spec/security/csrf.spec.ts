/**
 * CSRF on the WebSocket handshake: the client presents its token in the Sec-WebSocket-Protocol entry
 * `csrf.<base64url>` (never the URL), the server compares it in constant time and never sends it back.
 */
import { firstValueFrom } from 'rxjs';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { startSecurityServer, tryHandshake, type SecurityServer } from './support';
import { waitFor } from '../support/harness';

const TOKEN = 'per-session token/with+odd=chars é';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

describe('CSRF on the WebSocket handshake', () => {
  let s: SecurityServer;
  beforeAll(async () => {
    s = await startSecurityServer(jsonPacker, { csrfToken: (req) => (String(req.url).includes('nocheck=1') ? null : TOKEN) });
  });
  afterAll(() => s.stop());

  it('connects a client created with the right token, and serves it', async () => {
    const c = await s.connected({ csrfToken: TOKEN, params: { uid: 'alice' } });
    expect(c.state$.value.uid).toBe('alice');
    await expect(firstValueFrom(c.send(['test/echo', 1]))).resolves.toBe(1);
  });

  it('reads the token from a function at each connect', async () => {
    const c = await s.connected({ csrfToken: () => TOKEN });
    expect(c.state$.value.open).toBe(true);
  });

  it.each([
    ['a wrong token', ['sente-rx.v1', `csrf.${b64('per-session token/with+odd=chars e')}`]],
    ['no token', ['sente-rx.v1']],
    ['an empty token', ['sente-rx.v1', 'csrf.']],
    ['the token not base64url-encoded', ['sente-rx.v1', `csrf.${TOKEN.replace(/[^A-Za-z0-9]/g, '')}`]],
  ])('refuses %s with 403 CHSK_REJECTED', async (_n, protocols) => {
    const r = await tryHandshake(s.url, { protocols });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({ code: 'CHSK_REJECTED', message: 'bad CSRF token' });
  });

  it('refuses a client whose token is only in the URL query (the server never reads it there)', async () => {
    const enc = encodeURIComponent(TOKEN);
    const r = await tryHandshake(s.url, { query: `v=1&cid=probe&csrf-token=${enc}&csrfToken=${enc}&csrf=${enc}&x-csrf-token=${enc}` });
    expect(r.status).toBe(403);
    const c = s.client({ params: { 'csrf-token': TOKEN }, maxReconnectAttempts: 0 });
    await waitFor(c.state$, (st) => st.lastWsError !== null || st.lastWsClose !== null);
    expect(c.state$.value.everOpened).toBe(false);
  });

  it('accepts the token in an x-csrf-token header (non-browser clients)', async () => {
    const r = await tryHandshake(s.url, { headers: { 'x-csrf-token': TOKEN } });
    expect(r.status).toBe(101);
    r.ws!.terminate();
  });

  it('never sends the token back: the selected subprotocol is sente-rx.v1 and the handshake does not carry it', async () => {
    const r = await tryHandshake(s.url, { protocols: ['sente-rx.v1', `csrf.${b64(TOKEN)}`] });
    expect(r.status).toBe(101);
    expect(r.protocol).toBe('sente-rx.v1');
    expect(r.headers['sec-websocket-protocol']).toBe('sente-rx.v1');
    const everything = JSON.stringify(r.headers) + r.firstFrame;
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(b64(TOKEN));
    expect(everything).not.toContain('csrf');
    expect(Object.keys(JSON.parse(r.firstFrame!)).sort()).toEqual(['cid', 'dd', 'rl', 'rs', 't', 'uid', 'v']); // rl: the rate limit, rs: the resume positions, dd: dedupe on; not secrets
    r.ws!.terminate();
  });

  it('does not echo the token in a refusal either', async () => {
    const r = await tryHandshake(s.url, { protocols: ['sente-rx.v1', `csrf.${b64('guess')}`] });
    expect(JSON.stringify(r.headers) + r.body).not.toContain(TOKEN);
  });

  it('skips the check when csrfToken(req) returns null for that request', async () => {
    const r = await tryHandshake(s.url, { query: 'v=1&cid=probe&nocheck=1' });
    expect(r.status).toBe(101);
    r.ws!.terminate();
  });
});

describe('CSRF hooks that fail', () => {
  it('answers 500 when csrfToken throws, and keeps serving', async () => {
    const s = await startSecurityServer(jsonPacker, {
      csrfToken: (req) => {
        if (String(req.url).includes('boom')) throw new Error('session store down');
        return null;
      },
    });
    try {
      const r = await tryHandshake(s.url, { query: 'v=1&cid=probe&boom=1' });
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body).code).toBe('CHSK_REJECTED');
      const c = await s.connected();
      await expect(firstValueFrom(c.send(['test/echo', 'still here']))).resolves.toBe('still here');
    } finally {
      await s.stop();
    }
  });
});
