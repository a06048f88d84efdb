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
type Events = { 'demo/echo': { data: string; reply: string } };

let server: TestServer<Events>;
beforeEach(async () => {
  server = await startServer<Events>();
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
