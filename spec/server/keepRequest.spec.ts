import { IncomingMessage } from 'http';
import { filter, firstValueFrom } from 'rxjs';
import { createChannelSocketServer, type ChskRequest } from '../../src/server';
import { ConfigError } from '../../src';
import { startServer, type TestServer } from '../support/harness';

type S = TestServer<Record<string, { data: unknown; reply: unknown }>>;

describe.each(['ws', 'ajax'] as const)('keepRequest over %s', (type) => {
  let s: S | undefined;
  afterEach(() => s?.stop());

  test('by default msg.req is the whole handshake request', async () => {
    s = (await startServer({}, { client: { type } })) as S;
    const seen = firstValueFrom(s.chsk.events$.pipe(filter((m) => m.id === 'x/hi')));
    const c = await s.connected({ params: { uid: 'ann' } });
    await firstValueFrom(c.emit(['x/hi', null]), { defaultValue: undefined });
    const m = await seen;
    expect(m.req).toBeInstanceOf(IncomingMessage);
    expect(m.req.url).toContain('uid=ann');
  });

  test("with a hook, msg.req is what it kept, taken once from the connection's handshake request", async () => {
    const calls: ChskRequest[] = [];
    const keepRequest = (req: ChskRequest) => (calls.push(req), { url: req.url, kept: true } as unknown as ChskRequest);
    s = (await startServer({ keepRequest }, { client: { type } })) as S;
    const seen: unknown[] = [];
    s.chsk.events$.pipe(filter((m) => m.id === 'x/hi')).subscribe((m) => seen.push(m.req));
    s.chsk.events$.subscribe((m) => m.reply?.('ok'));
    const c = await s.connected({ params: { uid: 'bo' } });
    await firstValueFrom(c.emit(['x/hi', 1]), { defaultValue: undefined });
    await firstValueFrom(c.send(['x/hi', 2]));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeInstanceOf(IncomingMessage);
    expect(seen).toHaveLength(2);
    for (const r of seen) expect(r).toEqual({ url: expect.stringContaining('uid=bo'), kept: true });
  });

  test('a hook that throws is reported, and the connection keeps the whole request and works', async () => {
    s = (await startServer(
      {
        keepRequest: () => {
          throw new Error('boom');
        },
      },
      { client: { type } },
    )) as S;
    const reported = firstValueFrom(s.chsk.errors$);
    s.chsk.events$.subscribe((m) => m.reply?.(m.req instanceof IncomingMessage));
    const c = await s.connected();
    await expect(firstValueFrom(c.send(['x/whole', null]))).resolves.toBe(true);
    await expect(reported).resolves.toMatchObject({ code: 'CHSK_HANDLER_ERROR', message: expect.stringContaining('keepRequest') });
  });
});

test('keepRequest must be a function', () => {
  expect(() => createChannelSocketServer({ keepRequest: 'slim' as never })).toThrow(ConfigError);
  expect(() => createChannelSocketServer({ keepRequest: 'slim' as never })).toThrow(/keepRequest/);
});
