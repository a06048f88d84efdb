import { admitRequest, presentedCsrfToken, tokensEqual } from '../../src/server/admitRequest';
import { resolveServerOptions, type ServerOptions } from '../../src/server/serverOptions';
import type { ChskRequest } from '../../src/protocol/events';

function req(headers: Record<string, string>, url = '/chsk'): ChskRequest {
  return { headers, url, method: 'GET' } as unknown as ChskRequest;
}

function admit(headers: Record<string, string>, o: ServerOptions) {
  return admitRequest(req(headers), resolveServerOptions({ userId: () => 'u1', ...o }), () => undefined);
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

describe('admitRequest: CSRF', () => {
  const token = 'reference-token';

  it('admits the right token from the subprotocol entry or the x-csrf-token header', async () => {
    await expect(admit({ 'sec-websocket-protocol': `sente-rx.v1, csrf.${b64(token)}` }, { csrfToken: () => token })).resolves.toEqual({ ok: true, uid: 'u1' });
    await expect(admit({ 'x-csrf-token': token }, { csrfToken: () => token })).resolves.toEqual({ ok: true, uid: 'u1' });
  });

  it.each([
    ['a wrong token', { 'x-csrf-token': 'nope' }],
    ['no token', {}],
    ['an empty subprotocol entry', { 'sec-websocket-protocol': 'sente-rx.v1, csrf.' }],
    ['a prefix of the token', { 'x-csrf-token': token.slice(0, -1) }],
  ])('refuses %s with 403', async (_n, headers) => {
    await expect(admit(headers as Record<string, string>, { csrfToken: () => token })).resolves.toMatchObject({ ok: false, status: 403, code: 'CHSK_REJECTED' });
  });

  it('skips the check only when csrfToken(req) returns null', async () => {
    await expect(admit({}, { csrfToken: () => null })).resolves.toMatchObject({ ok: true });
  });

  // Regression: `undefined` (an accessor that found no session token) used to switch the check off, and an
  // empty reference token matched an empty presented one.
  it.each([
    ['undefined', undefined],
    ['an empty string', ''],
  ])('refuses with 403 when csrfToken(req) returns %s, even when the client presents the same', async (_n, ref) => {
    await expect(admit({ 'sec-websocket-protocol': 'sente-rx.v1, csrf.' }, { csrfToken: () => ref })).resolves.toMatchObject({ ok: false, status: 403 });
    await expect(admit({}, { csrfToken: () => ref })).resolves.toMatchObject({ ok: false, status: 403 });
  });

  it('never reads the token from the URL', async () => {
    const r = req({}, `/chsk?csrf-token=${token}&csrfToken=${token}&csrf=${token}&x-csrf-token=${token}`);
    await expect(admitRequest(r, resolveServerOptions({ csrfToken: () => token }), () => undefined)).resolves.toMatchObject({ ok: false, status: 403 });
  });

  it('reads the first csrf. entry and decodes base64url', () => {
    expect(presentedCsrfToken(req({ 'sec-websocket-protocol': `sente-rx.v1,csrf.${b64('a/b+c=d é')}, csrf.${b64('second')}` }))).toBe('a/b+c=d é');
  });

  it('compares tokens of different lengths and contents without throwing', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', 'x')).toBe(false);
    expect(tokensEqual('é', 'e')).toBe(false);
  });
});
