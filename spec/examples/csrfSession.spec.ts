/**
 * Drives examples/csrf-session (express-session + csrf-sync) with real session cookies: the token from the
 * server-rendered page, presented on the WebSocket upgrade, checked against the session the upgrade
 * middleware loaded.
 */
import { firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import { createChannelSocketClient, type ChannelSocketClient } from '../../src/client';
import type { WebSocketConstructor } from '../../src/client/transports/webSocketTransport';
import { waitFor } from '../support/harness';
import { tryHandshake } from '../security/support';

const { createCsrfSessionServer } = require('../../examples/csrf-session/server.cjs') as {
  createCsrfSessionServer(o?: { secret?: string }): { listen(port: number): Promise<number>; close(): Promise<void> };
};

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** A WebSocket constructor that sends a Cookie header, as a browser would. */
function withCookie(cookie: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { cookie } });
    }
  } as unknown as WebSocketConstructor;
}

describe('examples/csrf-session', () => {
  let ex: ReturnType<typeof createCsrfSessionServer>;
  let base: string;
  const clients: ChannelSocketClient[] = [];

  beforeAll(async () => {
    ex = createCsrfSessionServer({ secret: 'test-secret' });
    base = `http://127.0.0.1:${await ex.listen(0)}`;
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await ex.close();
  });

  /** Loads the page like a browser: a fresh session cookie and the token from the HTML. */
  async function visit(cookie?: string): Promise<{ cookie: string; token: string }> {
    const res = await fetch(`${base}/`, { headers: cookie ? { cookie } : {} });
    const html = await res.text();
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1]!;
    const set = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
    return { cookie: set[0] ?? cookie!, token };
  }

  async function login(session: { cookie: string; token: string }, name: string): Promise<{ cookie: string; token: string }> {
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/json', 'x-csrf-token': session.token },
      body: JSON.stringify({ name }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { csrfToken: string };
    return { cookie: res.headers.getSetCookie()[0]!.split(';')[0]!, token: body.csrfToken };
  }

  async function connect(session: { cookie: string; token: string }): Promise<ChannelSocketClient> {
    const c = createChannelSocketClient({ url: `${base}/chsk`, WebSocket: withCookie(session.cookie), csrfToken: session.token });
    clients.push(c);
    await waitFor(c.state$, (s) => s.open);
    return c;
  }

  const probe = (session: { cookie?: string; token?: string }, extra: { origin?: string; query?: string } = {}) =>
    tryHandshake(`${base}/chsk`, {
      protocols: session.token === undefined ? ['sente-rx.v1'] : ['sente-rx.v1', `csrf.${b64(session.token)}`],
      headers: { ...(session.cookie ? { cookie: session.cookie } : {}), ...(extra.origin ? { origin: extra.origin } : {}) },
      query: extra.query,
    });

  it('connects an anonymous visitor with the token from the page, and a logged-in user as their uid', async () => {
    const visitor = await visit();
    const anon = await connect(visitor);
    expect(anon.state$.value.uid).toBeNull();
    await expect(firstValueFrom(anon.send(['demo/whoami', undefined]))).resolves.toBeNull();

    const alice = await login(visitor, 'alice');
    expect(alice.cookie).not.toBe(visitor.cookie); // regenerated session
    const c = await connect(alice);
    expect(c.state$.value.uid).toBe('alice');
    await expect(firstValueFrom(c.send(['demo/whoami', undefined]))).resolves.toBe('alice');
  });

  it('refuses the upgrade with 403 for a wrong, stale, foreign or missing token, or no session', async () => {
    const alice = await login(await visit(), 'alice');
    const bob = await login(await visit(), 'bob');
    const stale = await visit();
    await login(stale, 'carol'); // regenerates: stale.cookie's session is gone, stale.token with it

    const refusals = {
      wrong: await probe({ cookie: alice.cookie, token: 'not-the-token' }),
      missing: await probe({ cookie: alice.cookie }),
      foreign: await probe({ cookie: alice.cookie, token: bob.token }),
      stale: await probe(stale),
      noSession: await probe({ token: alice.token }),
      inQueryOnly: await probe({ cookie: alice.cookie }, { query: `v=1&cid=probe&csrf-token=${alice.token}` }),
      crossSite: await probe(alice, { origin: 'https://evil.example' }),
    };
    for (const [name, r] of Object.entries(refusals)) expect([name, r.status, JSON.parse(r.body).code]).toEqual([name, 403, 'CHSK_REJECTED']);
    const ok = await probe(alice, { origin: base });
    expect(ok.status).toBe(101);
    expect(ok.protocol).toBe('sente-rx.v1');
    expect(ok.firstFrame).not.toContain(alice.token);
    ok.ws!.terminate();
  });

  it('protects the Express routes with the same token (csrf-sync)', async () => {
    const visitor = await visit();
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { cookie: visitor.cookie, 'content-type': 'application/json', 'x-csrf-token': 'forged' },
      body: JSON.stringify({ name: 'mallory' }),
    });
    expect(res.status).toBe(403);
  });
});
