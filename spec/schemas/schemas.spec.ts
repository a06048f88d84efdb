import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import * as v from 'valibot';
import { z } from 'zod';
import { DataError, ErrorCode, RemoteError, type StandardSchemaV1 } from '../../src';
import type { ServerErrorReport } from '../../src/server';
import type { EventSchemas } from '../../src/schemas/EventSchemas';
import { createChannelSocketClient } from '../../src/client';
import { createChannelSocketServer } from '../../src/server';
import { ConfigError } from '../../src';
import { eventually } from '../security/support';
import { MATRIX, startServer, type TestServer } from '../support/harness';

// The same event map written three ways: Zod 4, Valibot, and a hand-written Standard Schema validator.
const zodSchemas = {
  'chat/send': { data: z.object({ text: z.string().max(100) }), reply: z.object({ ok: z.boolean() }) },
  'chat/msg': { data: z.object({ from: z.string(), text: z.string() }) },
  'chat/trim': { data: z.string().transform((s) => s.trim()), reply: z.string() },
  'chat/bare': { reply: z.literal('pong') },
} satisfies EventSchemas;

const valibotSchemas = {
  'chat/send': { data: v.object({ text: v.pipe(v.string(), v.maxLength(100)) }), reply: v.object({ ok: v.boolean() }) },
  'chat/msg': { data: v.object({ from: v.string(), text: v.string() }) },
  'chat/trim': { data: v.pipe(v.string(), v.transform((s) => s.trim())), reply: v.string() },
  'chat/bare': { reply: v.literal('pong') },
} satisfies EventSchemas;

function hand<T>(check: (x: unknown) => x is T, message: string, map: (x: T) => unknown = (x) => x): StandardSchemaV1<unknown, T> {
  return { '~standard': { version: 1, vendor: 'hand', validate: (x) => (check(x) ? { value: map(x) as T } : { issues: [{ message, path: [] }] }) } };
}
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const handSchemas = {
  'chat/send': {
    data: hand((x): x is { text: string } => isObj(x) && isStr(x.text) && x.text.length <= 100, 'text: expected a string of at most 100 characters'),
    reply: hand((x): x is { ok: boolean } => isObj(x) && typeof x.ok === 'boolean', 'expected { ok: boolean }'),
  },
  'chat/msg': { data: hand((x): x is { from: string; text: string } => isObj(x) && isStr(x.from) && isStr(x.text), 'expected { from, text }') },
  'chat/trim': { data: hand(isStr, 'expected a string', (s) => s.trim()), reply: hand(isStr, 'expected a string') },
  'chat/bare': { reply: hand((x): x is 'pong' => x === 'pong', "expected 'pong'") },
} satisfies EventSchemas;

type Any = Record<string, { data: unknown; reply: unknown }>;

/** A server with `schemas` whose handler records what it saw and answers: `chat/send` with `reply` (default ok). */
async function schemaServer(schemas: EventSchemas, opts: Parameters<typeof startServer>[0] = {}, client = {}) {
  const s = (await startServer({ schemas, ...opts }, { client })) as unknown as TestServer<Any>;
  const seen: unknown[] = [];
  const reports: ServerErrorReport[] = [];
  let answer: unknown = { ok: true };
  s.chsk.errors$.subscribe((r) => reports.push(r));
  s.chsk.events$.subscribe((m) => {
    if (m.id.startsWith('chsk/')) return;
    seen.push([m.id, m.data]);
    if (m.id === 'chat/send') m.reply?.(answer);
    if (m.id === 'chat/trim') m.reply?.(m.data);
    if (m.id === 'chat/bare') m.reply?.('pong');
  });
  return { s, seen, reports, setAnswer: (a: unknown) => void (answer = a) };
}

const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('expected an error'); }, (e: unknown) => e);

describe.each(MATRIX)('schemas over $type with $packerName (Zod)', ({ type, packer }) => {
  let t: Awaited<ReturnType<typeof schemaServer>>;
  beforeEach(async () => (t = await schemaServer(zodSchemas, { packer }, { type, schemas: zodSchemas })));
  afterEach(() => t.s.stop());

  test('a valid request is answered; a malformed one is refused with CHSK_BAD_DATA before the handler sees it', async () => {
    const c = await t.s.connected();
    await expect(firstValueFrom(c.send(['chat/send', { text: 'hi' }]))).resolves.toEqual({ ok: true });
    const err = await fail(firstValueFrom(c.send(['chat/send', { text: 42 }])));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ code: ErrorCode.BadData, issues: [{ path: ['text'] }] });
    expect((err as RemoteError).message).toMatch(/chat\/send/);
    expect(t.seen).toEqual([['chat/send', { text: 'hi' }]]);
    await eventually(() => t.reports.length > 0, 'a report');
    expect(t.reports[0]).toMatchObject({ code: ErrorCode.BadData, issues: [{ path: ['text'] }] });
  });

  test('handlers see the validator output (transforms applied); the client checks replies too', async () => {
    const c = await t.s.connected();
    await expect(firstValueFrom(c.send(['chat/trim', '  padded  ']))).resolves.toBe('padded');
    expect(t.seen).toEqual([['chat/trim', 'padded']]);
    t.setAnswer({ ok: 'yes' });
    const err = await fail(firstValueFrom(c.send(['chat/send', { text: 'hi' }])));
    expect(err).toBeInstanceOf(DataError);
    expect(err).toMatchObject({ code: ErrorCode.BadData, eventId: 'chat/send', issues: [{ path: ['ok'] }] });
  });

  test('an entry without data means no data: data is refused, none is fine', async () => {
    const c = await t.s.connected();
    await expect(firstValueFrom(c.send(['chat/bare', undefined]))).resolves.toBe('pong');
    await expect(fail(firstValueFrom(c.send(['chat/bare', { x: 1 }])))).resolves.toMatchObject({ code: ErrorCode.BadData });
  });

  test('a malformed push goes to the client errors$, not to events$; valid ones arrive', async () => {
    const c = await t.s.connected({ params: { uid: 'ann' } });
    const errors = firstValueFrom(c.errors$);
    const events = firstValueFrom(c.events$.pipe(take(2), toArray()));
    t.s.chsk.send('ann', ['chat/msg', { from: 'srv', text: 1 }]);
    t.s.chsk.send('ann', ['chat/msg', { from: 'srv', text: 'ok' }]);
    t.s.chsk.send('ann', ['other/unchecked', 5]);
    await expect(errors).resolves.toMatchObject({ name: 'DataError', code: ErrorCode.BadData, eventId: 'chat/msg', issues: [{ path: ['text'] }] });
    await expect(events).resolves.toEqual([
      ['chat/msg', { from: 'srv', text: 'ok' }],
      ['other/unchecked', 5],
    ]);
  });
});

describe.each([
  ['Valibot', valibotSchemas],
  ['a hand-written validator', handSchemas],
])('schemas with %s', (_, schemas) => {
  let t: Awaited<ReturnType<typeof schemaServer>>;
  beforeEach(async () => (t = await schemaServer(schemas, {}, { type: 'ws', schemas })));
  afterEach(() => t.s.stop());

  test('valid passes, malformed is refused with CHSK_BAD_DATA, output is transformed, replies are checked', async () => {
    const c = await t.s.connected();
    await expect(firstValueFrom(c.send(['chat/send', { text: 'hi' }]))).resolves.toEqual({ ok: true });
    await expect(fail(firstValueFrom(c.send(['chat/send', { text: 'x'.repeat(101) }])))).resolves.toMatchObject({
      name: 'RemoteError',
      code: ErrorCode.BadData,
    });
    await expect(firstValueFrom(c.send(['chat/trim', ' a ']))).resolves.toBe('a');
    t.setAnswer({ ok: 1 });
    await expect(fail(firstValueFrom(c.send(['chat/send', { text: 'hi' }])))).resolves.toMatchObject({ name: 'DataError' });
    expect(t.seen).toEqual([['chat/send', { text: 'hi' }], ['chat/trim', 'a'], ['chat/send', { text: 'hi' }]]);
  });
});

describe('strict and async validators', () => {
  test('strict: an id without a schema is refused with CHSK_UNKNOWN_EVENT; without strict it passes', async () => {
    const t = await schemaServer(zodSchemas, { strict: true });
    try {
      const c = await t.s.connected();
      await expect(fail(firstValueFrom(c.send(['no/schema', 1])))).resolves.toMatchObject({ code: ErrorCode.UnknownEvent });
      await expect(fail(firstValueFrom(c.send(['__proto__', 1])))).resolves.toMatchObject({ code: ErrorCode.UnknownEvent });
      expect(t.seen).toEqual([]);
    } finally {
      await t.s.stop();
    }
  });

  test('async validators with random latency keep a connection in order (mixed with sync ids)', async () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const slow: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'hand',
        validate: (x) =>
          new Promise((res) => setTimeout(() => res(typeof x === 'number' ? { value: x } : { issues: [{ message: 'not a number' }] }), rnd() * 10)), // scheduler-exempt: the validator is the app's
      },
    };
    const t = await schemaServer({ 'n/slow': { data: slow }, 'n/fast': { data: z.number() } });
    try {
      const c = await t.s.connected();
      const n = 40;
      for (let i = 0; i < n; i++) c.emit([i % 3 === 0 ? 'n/fast' : 'n/slow', i]).subscribe();
      // The refused emit errors with the server's code (it used to complete as if delivered: issue 10 #4).
      const badEmit = fail(lastValueFrom(c.emit(['n/slow', 'bad']), { defaultValue: undefined }));
      const last = await fail(firstValueFrom(c.send(['n/slow', 'bad too'])));
      expect(last).toMatchObject({ code: ErrorCode.BadData });
      await expect(badEmit).resolves.toMatchObject({ code: ErrorCode.BadData });
      expect(t.seen.map((x) => (x as [string, number])[1])).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(t.reports.filter((r) => r.code === ErrorCode.BadData)).toHaveLength(2);
    } finally {
      await t.s.stop();
    }
  });

  test('bad schemas options throw ConfigError at construction, on both sides', () => {
    expect(() => createChannelSocketServer({ schemas: { a: { data: {} as never } } })).toThrow(/'schemas' "a".data is not a Standard Schema/);
    expect(() => createChannelSocketServer({ schemas: [] as never })).toThrow(ConfigError);
    expect(() => createChannelSocketServer({ strict: 'yes' as never })).toThrow(ConfigError);
    expect(() => createChannelSocketClient({ autoConnect: false, schemas: { a: { reply: z.string(), data: 5 as never } } })).toThrow(ConfigError);
  });
});
