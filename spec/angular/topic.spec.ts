import { createEnvironmentInjector, Injector, type EnvironmentInjector } from '@angular/core';
import WebSocket from 'ws';
import { injectChannelSocket, provideChannelSocket } from '../../src/angular';
import { startServer, type TestServer } from '../support/harness';

// chsk.topic(...) with environment injectors against a real server: joins are counted on the server
// (authorizeTopic calls, topicUids$).
type Room = { 'room/msg': { data: { n: number } } };

let server: TestServer<Room>;
let joins: Array<[string, unknown]> = [];
let members = new Map<string, ReadonlySet<string>>();
beforeEach(async () => {
  joins = [];
  members = new Map();
  server = await startServer<Room>({ authorizeTopic: (_req, _uid, topic, params) => (joins.push([topic, params]), topic.startsWith('room/')) });
});
afterEach(() => server.stop());

const root = (providers: Parameters<typeof createEnvironmentInjector>[0]): EnvironmentInjector =>
  createEnvironmentInjector(providers, Injector.NULL as EnvironmentInjector);
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in 5 s');
    await new Promise((r) => setImmediate(r));
  }
}

test('topic() joins once per (topic, params) across holders, is a signal of the latest event, leaves with its context', async () => {
  server.chsk.topicUids$('room/1').subscribe((u) => members.set('room/1', u));
  const env = root([provideChannelSocket({ url: `${server.url}?uid=u1`, WebSocket, type: 'ws' })]);
  const a = createEnvironmentInjector([], env);
  const b = createEnvironmentInjector([], env);
  const chsk = env.runInContext(() => injectChannelSocket<Room>());
  const first = a.runInContext(() => chsk.topic<'room/msg'>('room/1', { v: 1 }));
  const second = chsk.topic('room/1', { v: 1 }, { injector: b, initialValue: ['room/msg', { n: 0 }] });
  expect(first()).toBeUndefined();
  expect(second()).toEqual(['room/msg', { n: 0 }]);
  await until(() => members.get('room/1')?.has('u1') === true);
  expect(joins).toEqual([['room/1', { v: 1 }]]);

  server.chsk.publish('room/1', ['room/msg', { n: 1 }]);
  await until(() => first()?.[1].n === 1 && second()?.[1].n === 1);
  a.destroy(); // one holder left: still a member
  server.chsk.publish('room/1', ['room/msg', { n: 2 }]);
  await until(() => second()?.[1].n === 2);
  expect(first()?.[1].n).toBe(1);
  expect(members.get('room/1')?.has('u1')).toBe(true);
  b.destroy(); // the last holder: the client leaves
  await until(() => members.get('room/1')?.size === 0);
  expect(joins).toHaveLength(1);
  expect(chsk.status()).toBe('open');
  expect(() => chsk.topic('room/1')).toThrow(/injection context/);
  env.destroy();
});

test('a refused topic: the error signal holds TopicRefusedError', async () => {
  const env = root([provideChannelSocket({ url: `${server.url}?uid=u1`, WebSocket, type: 'ws' })]);
  const t = env.runInContext(() => injectChannelSocket<Room>().topic('secret/1'));
  await until(() => t.error() !== undefined);
  expect(t.error()).toMatchObject({ name: 'TopicRefusedError', code: 'CHSK_TOPIC_REFUSED' });
  expect(t()).toBeUndefined();
  env.destroy();
});
