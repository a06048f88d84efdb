/**
 * authorize(req) and userId(req): who may connect, and who they are. The uid only ever comes from the
 * server's userId(req); nothing a client sends can set it.
 */
import { firstValueFrom } from 'rxjs';
import type { ServerOptions } from '../../src/server';
import { param, tryHandshake, withServer } from './support';

describe('authorize(req)', () => {
  const verdicts: Record<string, () => unknown> = {
    yes: () => true,
    asyncYes: async () => true,
    no: () => false,
    forgot: () => undefined,
    truthy: () => 'yes',
    region: () => ({ status: 451, body: 'not available in your region' }),
    teapot: async () => ({ status: 418 }),
    bogus: () => ({ status: 200, body: 'come in' }),
    throws: () => {
      throw new Error('auth backend down');
    },
    rejects: () => Promise.reject(new Error('auth backend down')),
  };
  const options: ServerOptions = { authorize: (req) => verdicts[param(req, 'verdict') ?? 'yes']!() as boolean };

  it.each([
    ['true', 'yes', 101, undefined],
    ['a promise of true', 'asyncYes', 101, undefined],
    ['false', 'no', 401, 'unauthorized'],
    ['undefined (a hook that forgot to return: fails closed)', 'forgot', 401, 'unauthorized'],
    ['a truthy non-boolean', 'truthy', 401, 'unauthorized'],
    ['{ status: 451, body }', 'region', 451, 'not available in your region'],
    ['a promise of { status: 418 }', 'teapot', 418, 'unauthorized'],
    ['a rejection with a non-error status', 'bogus', 500, 'authorize returned a rejection without a 4xx/5xx status'],
    ['a throw', 'throws', 500, 'server error while admitting the request'],
    ['a rejected promise', 'rejects', 500, 'server error while admitting the request'],
  ])('%s (verdict=%s) → HTTP %s', async (_n, verdict, status, message) => {
    await withServer(options, async (s) => {
      const r = await tryHandshake(s.url, { query: `v=1&cid=probe&verdict=${verdict}` });
      expect(r.status).toBe(status);
      if (status === 101) r.ws!.terminate();
      else expect(JSON.parse(r.body)).toEqual({ code: 'CHSK_REJECTED', message });
      // The server keeps serving whoever is authorized.
      const c = await s.connected({ params: { verdict: 'yes' } });
      await expect(firstValueFrom(c.send(['test/echo', verdict]))).resolves.toBe(verdict);
    });
  });

  it('runs after the origin and CSRF checks: a cross-site request never reaches it', async () => {
    let calls = 0;
    await withServer({ authorize: () => (calls++, true) }, async (s) => {
      expect((await tryHandshake(s.url, { headers: { Origin: 'https://evil.example' } })).status).toBe(403);
      expect(calls).toBe(0);
    });
  });
});

describe('userId(req) is the only source of the uid', () => {
  it('ignores a uid the client puts in the query unless the app’s userId reads it', async () => {
    // Default userId: req.session?.uid. No session middleware here, so every connection is anonymous.
    await withServer({ userId: undefined as never }, async (s) => {
      const c = await s.connected({ params: { uid: 'admin' } });
      expect(c.state$.value.uid).toBeNull();
      await expect(firstValueFrom(c.send(['test/whoami', undefined]))).resolves.toBeNull();
      expect(s.chsk.connectedUids$.value.any.has('admin')).toBe(false);
    });
  });

  it('ignores uid fields in messages and the handshake', async () => {
    await withServer({ userId: (req) => (req.headers['x-user'] as string | undefined) ?? null }, async (s) => {
      const r = await tryHandshake(s.url, { query: 'v=1&cid=probe&uid=admin', headers: { 'x-user': 'bob' } });
      expect(JSON.parse(r.firstFrame!)).toMatchObject({ t: 'hs', uid: 'bob' });
      r.ws!.send(JSON.stringify({ t: 'q', rid: 1, ev: ['test/whoami'], uid: 'admin' }));
      const reply = await new Promise<string>((res) => r.ws!.once('message', (d) => res(String(d))));
      expect(JSON.parse(reply)).toEqual({ t: 'r', rid: 1, d: 'bob' });
      r.ws!.terminate();
    });
  });

  it.each([
    ['throws', () => {
      throw new Error('db down');
    }],
    ['returns a number', () => 42],
    ['rejects', () => Promise.reject(new Error('db down'))],
  ])('answers 500 when userId %s', async (_n, userId) => {
    await withServer({ userId: userId as never }, async (s) => {
      const r = await tryHandshake(s.url);
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body).code).toBe('CHSK_REJECTED');
    });
  });
});
