import 'zone.js/node';
import { createEnvironmentInjector, Injector, NgZone, type EnvironmentInjector } from '@angular/core';
import { filter, map } from 'rxjs';
import WebSocket from 'ws';
import { reply } from '../../src';
import { injectChannelSocket, provideChannelSocket } from '../../src/angular';
import { startServer, type TestServer } from '../support/harness';

// With zone.js: the client's sockets and timers (keep-alive, reply deadlines, reconnect backoff) live outside
// Angular's zone, so the zone has no pending macrotask and the app can become stable; replies to sends made
// in the zone come back in it, so zone-based views update as usual.
type Events = { 'demo/echo': { data: string; reply: string }; 'room/msg': { data: { n: number } } };

let server: TestServer<Events>;
beforeEach(async () => {
  server = await startServer<Events>({ authorizeTopic: (_req, _uid, topic) => topic.startsWith('room/') });
  server.chsk.handle((msg$) => msg$.pipe(filter((m) => m.id === 'demo/echo'), map((m) => reply(m, String(m.data).toUpperCase()))));
});
afterEach(() => server.stop());

async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in 5 s');
    await new Promise((r) => setImmediate(r));
  }
}

test('connected and waiting for a reply, the Angular zone has no pending macrotask; the reply arrives in the zone', async () => {
  const zone = new NgZone({ enableLongStackTrace: false });
  const env = zone.run(() =>
    createEnvironmentInjector(
      [{ provide: NgZone, useValue: zone }, provideChannelSocket({ url: `${server.url}?uid=u1`, WebSocket, type: 'ws' })],
      Injector.NULL as EnvironmentInjector,
    ),
  );
  const chsk = zone.run(() => env.runInContext(() => injectChannelSocket<Events>()));
  await until(() => chsk.status() === 'open');
  expect(zone.hasPendingMacrotasks).toBe(false);

  let answer: { value: string; inZone: boolean } | undefined;
  zone.run(() => chsk.client.send(['demo/echo', 'hi'], { timeoutMs: 30_000 }).subscribe((value) => (answer = { value, inZone: NgZone.isInAngularZone() })));
  expect(zone.hasPendingMacrotasks).toBe(false); // the 30 s deadline runs outside
  await until(() => answer !== undefined);
  expect(answer).toEqual({ value: 'HI', inZone: true });
  zone.run(() => env.destroy());
  expect(zone.hasPendingMacrotasks).toBe(false);
});

test('a topic is joined outside the zone (no pending macrotask) and its events are delivered inside it', async () => {
  const zone = new NgZone({ enableLongStackTrace: false });
  const env = zone.run(() =>
    createEnvironmentInjector(
      [{ provide: NgZone, useValue: zone }, provideChannelSocket({ url: `${server.url}?uid=u1`, WebSocket, type: 'ws' })],
      Injector.NULL as EnvironmentInjector,
    ),
  );
  const chsk = zone.run(() => env.runInContext(() => injectChannelSocket<Events>()));
  await until(() => chsk.status() === 'open');
  const members: Array<ReadonlySet<string>> = [];
  server.chsk.topicUids$('room/1').subscribe((u) => members.push(u));
  const room = zone.run(() => env.runInContext(() => chsk.topic<'room/msg'>('room/1')));
  const got: Array<{ n: number; inZone: boolean }> = [];
  let ended: { code?: string; inZone: boolean } | undefined;
  zone.run(() =>
    chsk.client.topic$<'room/msg'>('room/1').subscribe({
      next: ([, d]) => got.push({ n: d.n, inZone: NgZone.isInAngularZone() }),
      error: (e: { code?: string }) => (ended = { code: e.code, inZone: NgZone.isInAngularZone() }),
    }),
  );
  expect(zone.hasPendingMacrotasks).toBe(false);
  await until(() => members.at(-1)?.has('u1') === true);
  server.chsk.publish('room/1', ['room/msg', { n: 1 }]);
  await until(() => room()?.[1].n === 1 && got.length === 1);
  expect(got).toEqual([{ n: 1, inZone: true }]);
  expect(zone.hasPendingMacrotasks).toBe(false);
  zone.run(() => env.destroy()); // disconnects: the topic errors with CHSK_CLOSED, inside the zone too
  expect(ended).toEqual({ code: 'CHSK_CLOSED', inZone: true });
  expect(room.error()).toMatchObject({ code: 'CHSK_CLOSED' });
  expect(zone.hasPendingMacrotasks).toBe(false);
});
