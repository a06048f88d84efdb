/**
 * An app hook that throws or rejects while a request is admitted (upgradeMiddleware, csrfToken, authorize,
 * userId, handshakeData) is the app's bug, not the client's: the server reports it on errors$ as
 * CHSK_HOOK_FAILED naming the hook (with the error), answers the client a clear 500 CHSK_REJECTED, and keeps
 * serving everyone else. (Before: a bare 500 and nothing on errors$ for csrfToken/authorize/userId.)
 */
import { firstValueFrom } from 'rxjs';
import type { ServerOptions } from '../../src/server';
import type { ChskRequest } from '../../src/protocol/events';
import { rawHandshake, rawPoll } from '../support/ajaxRaw';
import { eventually, param, tryHandshake, withServer, type SecurityServer } from './support';

type Hook = 'upgradeMiddleware' | 'csrfToken' | 'authorize' | 'userId' | 'handshakeData';
type Mode = 'throws' | 'rejects';

/** Fails the hook named by the request's `fail` parameter, the way `mode` says; other requests pass. */
function options(): ServerOptions {
  const fails = (req: ChskRequest, hook: Hook): Mode | undefined => (param(req, 'fail') === hook ? (param(req, 'mode') as Mode) : undefined);
  const boom = (hook: Hook) => new Error(`${hook} backend down`);
  return {
    csrfToken: (req) => {
      if (fails(req, 'csrfToken')) throw boom('csrfToken');
      return null;
    },
    authorize: (req) => {
      const m = fails(req, 'authorize');
      if (m === 'throws') throw boom('authorize');
      return m === 'rejects' ? Promise.reject(boom('authorize')) : true;
    },
    userId: (req) => {
      const m = fails(req, 'userId');
      if (m === 'throws') throw boom('userId');
      return m === 'rejects' ? Promise.reject(boom('userId')) : param(req, 'uid');
    },
    handshakeData: (req) => {
      const m = fails(req, 'handshakeData');
      if (m === 'throws') throw boom('handshakeData');
      return m === 'rejects' ? Promise.reject(boom('handshakeData')) : { ok: 1 };
    },
    upgradeMiddleware: [
      (req, _res, next) => {
        const m = fails(req, 'upgradeMiddleware');
        if (m === 'throws') throw boom('upgradeMiddleware');
        next(m === 'rejects' ? boom('upgradeMiddleware') : undefined);
      },
    ],
  };
}

async function expectReported(s: SecurityServer, hook: Hook): Promise<void> {
  await eventually(() => s.reports.some((r) => r.code === 'CHSK_HOOK_FAILED'), 'a CHSK_HOOK_FAILED report');
  const r = s.reports.find((x) => x.code === 'CHSK_HOOK_FAILED')!;
  expect(r.message).toContain(hook);
  expect((r.error as Error).message).toBe(`${hook} backend down`);
}

async function stillServes(s: SecurityServer, type: 'ws' | 'ajax'): Promise<void> {
  const c = await s.connected({ type });
  await expect(firstValueFrom(c.send(['test/echo', 'still here']))).resolves.toBe('still here');
}

const refusal = { code: 'CHSK_REJECTED', message: 'server error while admitting the request' };

describe('admission hooks that fail are reported on errors$', () => {
  const cases: [Hook, Mode][] = [
    ['upgradeMiddleware', 'throws'],
    ['upgradeMiddleware', 'rejects'],
    ['csrfToken', 'throws'],
    ['authorize', 'throws'],
    ['authorize', 'rejects'],
    ['userId', 'throws'],
    ['userId', 'rejects'],
    ['handshakeData', 'throws'],
    ['handshakeData', 'rejects'],
  ];

  it.each(cases)('ws: %s %s → 500 CHSK_REJECTED, CHSK_HOOK_FAILED on errors$', async (hook, mode) => {
    await withServer(options(), async (s) => {
      const r = await tryHandshake(s.url, { query: `v=1&cid=probe&fail=${hook}&mode=${mode}` });
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toEqual(refusal);
      await expectReported(s, hook);
      await stillServes(s, 'ws');
    });
  });

  it.each(cases.filter(([h]) => h !== 'upgradeMiddleware'))('ajax handshake: %s %s → 500 CHSK_REJECTED, CHSK_HOOK_FAILED on errors$', async (hook, mode) => {
    await withServer(options(), async (s) => {
      const res = await fetch(`${s.url}?v=1&hs=1&cid=probe&fail=${hook}&mode=${mode}`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual(refusal);
      await expectReported(s, hook);
      await stillServes(s, 'ajax');
    });
  });

  it('ajax poll: csrfToken throwing on a later poll → 500 CHSK_REJECTED, CHSK_HOOK_FAILED on errors$', async () => {
    await withServer(options(), async (s) => {
      const conn = await rawHandshake(s.url);
      const a = await rawPoll(s.url, conn, { query: { fail: 'csrfToken', mode: 'throws' } });
      expect(a.status).toBe(500);
      expect(a.json).toEqual(refusal);
      await expectReported(s, 'csrfToken');
      await stillServes(s, 'ajax');
    });
  });
});
