/**
 * The client's `strict` option: a push whose id has no entry in the client's `schemas` goes to `errors$` as a
 * `DataError` with CHSK_UNKNOWN_EVENT instead of `events$`; without `strict` it passes unchecked, and
 * `validate: false` turns it off. Real server (no schemas: it pushes whatever it is told), real clients, over
 * every transport and packer.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import WebSocket from 'ws';
import { z } from 'zod';
import { ConfigError, DataError, ErrorCode, type ChannelError } from '../../src';
import { createChannelSocketClient } from '../../src/client';
import { MATRIX, startServer, type TestServer } from '../support/harness';

const schemas = { 'chat/msg': { data: z.object({ from: z.string(), text: z.string() }) } };
type Any = Record<string, { data: unknown }>;

describe.each(MATRIX)('client strict over $type with $packerName', ({ type, packer }) => {
  let s: TestServer<Any>;
  beforeEach(async () => (s = await startServer<Any>({ packer }, { client: { type } })));
  afterEach(() => s.stop());

  const pushAll = () => {
    s.chsk.send('ann', ['other/unknown', 5]);
    s.chsk.send('ann', ['chat/msg', { from: 'srv', text: 1 }]);
    s.chsk.send('ann', ['chat/msg', { from: 'srv', text: 'ok' }]);
  };

  test('strict: a push without a schema goes to errors$ with CHSK_UNKNOWN_EVENT, not to events$', async () => {
    const c = await s.connected({ params: { uid: 'ann' }, schemas, strict: true });
    const errors = firstValueFrom(c.errors$.pipe(take(2), toArray()));
    const events = firstValueFrom(c.events$);
    pushAll();
    const [unknown, bad] = (await errors) as [ChannelError, ChannelError];
    expect(unknown).toBeInstanceOf(DataError);
    expect(unknown).toMatchObject({ code: ErrorCode.UnknownEvent, eventId: 'other/unknown', issues: [] });
    expect(unknown.message).toMatch(/other\/unknown.*strict/);
    expect(bad).toMatchObject({ code: ErrorCode.BadData, eventId: 'chat/msg' });
    await expect(events).resolves.toEqual(['chat/msg', { from: 'srv', text: 'ok' }]);
  });

  test('without strict it passes unchecked; validate: false turns strict off too', async () => {
    const lax = await s.connected({ params: { uid: 'ann' }, schemas });
    const off = await s.connected({ params: { uid: 'ann' }, schemas, strict: true, validate: false });
    const laxEvents = firstValueFrom(lax.events$.pipe(take(2), toArray()));
    const offEvents = firstValueFrom(off.events$.pipe(take(3), toArray()));
    const errs: ChannelError[] = [];
    off.errors$.subscribe((e) => errs.push(e));
    pushAll();
    await expect(laxEvents).resolves.toEqual([['other/unknown', 5], ['chat/msg', { from: 'srv', text: 'ok' }]]);
    await expect(offEvents).resolves.toEqual([['other/unknown', 5], ['chat/msg', { from: 'srv', text: 1 }], ['chat/msg', { from: 'srv', text: 'ok' }]]);
    expect(errs).toEqual([]);
  });
});

test('strict must be a boolean', () => {
  const make = (strict: unknown) => () => createChannelSocketClient({ url: 'http://x/chsk', WebSocket, autoConnect: false, strict: strict as boolean });
  expect(make(true)).not.toThrow();
  expect(make('yes')).toThrow(ConfigError);
  expect(make('yes')).toThrow(/option 'strict' must be a boolean/);
});
