import { createEnvironmentInjector, Injector, PLATFORM_ID, type EnvironmentInjector } from '@angular/core';
import { filter, firstValueFrom, map } from 'rxjs';
import { reply } from '../../src';
import type { Duplex } from 'stream';
import WebSocket from 'ws';
import { injectChannelSocket, provideChannelSocket } from '../../src/angular';
import { startServer, type TestServer } from '../support/harness';

// The Angular binding in Node, with environment injectors and a real server: the server counts the sockets.
type Events = { 'demo/ping': { data: { n: number } }; 'demo/echo': { data: string; reply: string } };

let server: TestServer<Events>;
const sockets = new Set<Duplex>();
let upgrades = 0;
beforeEach(async () => {
  server = await startServer<Events>();
  upgrades = 0;
  sockets.clear();
  server.http.prependListener('upgrade', (_req: unknown, socket: Duplex) => {
    upgrades++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
});
afterEach(() => server.stop());

/** An environment injector with the binding, as an application's would be. */
const root = (providers: Parameters<typeof createEnvironmentInjector>[0]): EnvironmentInjector =>
  createEnvironmentInjector(providers, Injector.NULL as EnvironmentInjector);

/** Resolves when `check()` holds; polls on a macrotask, fails after 5 s. */
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in 5 s');
    await new Promise((r) => setImmediate(r));
  }
}

test('state and status are signals that follow the connection; destroying the injector disconnects', async () => {
  const env = root([provideChannelSocket({ url: `${server.url}?uid=u1`, WebSocket, type: 'ws', backoff: () => 20 })]);
  const chsk = env.runInContext(() => injectChannelSocket<Events>());
  expect(chsk.status()).toBe('connecting');
  await until(() => chsk.status() === 'open');
  expect(chsk.state().uid).toBe('u1');
  expect(sockets.size).toBe(1);

  sockets.forEach((s) => s.destroy()); // a server-side drop
  await until(() => chsk.status() === 'reconnecting');
  await until(() => chsk.status() === 'open');
  expect(upgrades).toBe(2);

  env.destroy();
  await until(() => sockets.size === 0);
  expect(chsk.status()).toBe('closed');
});

test('event() is a signal of the latest push, ended with its context; send replies', async () => {
  server.chsk.handle((msg$) => msg$.pipe(filter((m) => m.id === 'demo/echo'), map((m) => reply(m, String(m.data).toUpperCase()))));
  const env = root([provideChannelSocket({ url: `${server.url}?uid=u1`, WebSocket, type: 'ws' })]);
  const child = createEnvironmentInjector([], env);
  const { chsk, ping } = child.runInContext(() => {
    const c = injectChannelSocket<Events>();
    return { chsk: c, ping: c.event('demo/ping', { initialValue: { n: 0 } }) };
  });
  await until(() => chsk.status() === 'open');
  expect(ping()).toEqual({ n: 0 });
  server.chsk.send('u1', ['demo/ping', { n: 1 }], { flush: true });
  await until(() => ping()?.n === 1);
  expect(await firstValueFrom(chsk.client.send(['demo/echo', 'hi'], { timeoutMs: 3000 }))).toBe('HI');

  child.destroy(); // the component's context: its event signal stops, the connection stays
  server.chsk.send('u1', ['demo/ping', { n: 2 }], { flush: true });
  await firstValueFrom(chsk.client.send(['demo/echo', 'after'], { timeoutMs: 3000 })); // the push came before this reply
  expect(ping()).toEqual({ n: 1 });
  expect(chsk.status()).toBe('open');
  expect(() => chsk.event('demo/ping')).toThrow(/injection context/);
  env.destroy();
});

test('on the server it is inert: status closed, events$ empty, no socket, no timer', async () => {
  // An options function may read browser globals: on the server it is not even called.
  const options = jest.fn(() => ({ url: `${location.origin}/chsk` }));
  const env = root([{ provide: PLATFORM_ID, useValue: 'server' }, provideChannelSocket(options)]);
  const chsk = env.runInContext(() => injectChannelSocket<Events>());
  expect(chsk.status()).toBe('closed');
  const pushes: unknown[] = [];
  let completed = false;
  chsk.client.events$.subscribe({ next: (e) => pushes.push(e), complete: () => (completed = true) });
  expect(completed).toBe(true);
  expect(pushes).toEqual([]);
  // No WebSocket option and none global on Node 20: a real client would have thrown CHSK_NO_WEBSOCKET.
  expect(upgrades).toBe(0);
  expect(options).not.toHaveBeenCalled();
  env.destroy();
});
