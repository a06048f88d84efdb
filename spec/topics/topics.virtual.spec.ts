import { TestScheduler } from 'rxjs/testing';
import { map, type Observable } from 'rxjs';
import { createTestServer } from '../../src/testing';
import { ChannelClosedError, ErrorCode, RemoteError, TopicRefusedError, ofEvent, publish, type Effect, type ServerEventMsg } from '../../src';

interface Room {
  'room/msg': { data: { text: string } };
  'room/say': { data: { room: string; text: string } };
}

let ts: TestScheduler;
beforeEach(() => {
  ts = new TestScheduler((a, b) => expect(a).toEqual(b));
});

const quiet = { backoff: () => 10, keepAlive: false as const };
const allowRooms = (_req: unknown, uid: string | null, topic: string) => uid !== null && topic.startsWith('room/');
const msg = (text: string) => ['room/msg', { text }] as const;

test('several local subscribers share one join; the last unsubscribe leaves (topicUids$ follows)', () => {
  ts.run(({ expectObservable, flush }) => {
    const asked: string[] = [];
    const t = createTestServer<Room>({
      keepAlive: false,
      authorizeTopic: (req, uid, topic, params) => (asked.push(`${uid}:${topic}:${JSON.stringify(params)}`), true),
    });
    ts.schedule(() => t.stop(), 1000);
    const alice = t.client({ uid: 'alice', ...quiet });
    const a1 = alice.topic$('room/1');
    // publishes are batched like pushes: x leads (10) and opens a window, y inside it leaves once the burst is
    // over (batchIdleMs, 31), z leads again (50)
    expectObservable(a1, '^ 40ms !').toBe('10ms a 20ms b', { a: msg('x'), b: msg('y') });
    expectObservable(alice.topic$('room/1'), '^ 100ms !').toBe('10ms a 20ms b 18ms c', { a: msg('x'), b: msg('y'), c: msg('z') });
    ts.schedule(() => t.server.publish('room/1', msg('x')), 10);
    ts.schedule(() => t.server.publish('room/1', msg('y')), 30);
    ts.schedule(() => t.server.publish('room/1', msg('z')), 50);
    ts.schedule(() => t.server.publish('room/1', msg('gone')), 120);
    // alice joins at 0 (one emission at the end of the tick); her last subscriber leaves at 101
    expectObservable(t.server.topicUids$('room/1').pipe(map((s) => [...s].join(','))), '^ 200ms !').toBe('(ab) 97ms c', { a: '', b: 'alice', c: '' });
    flush();
    expect(asked).toEqual(['alice:room/1:undefined']);
  });
});

test('topicUids$: who is in a topic, one emission per tick of changes', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Room>({ keepAlive: false, authorizeTopic: allowRooms, latencyMs: 1 });
    ts.schedule(() => t.stop(), 1000);
    const alice = t.client({ uid: 'alice', ...quiet });
    const bob = t.client({ uid: 'bob', ...quiet });
    const uids = t.server.topicUids$('room/1').pipe(map((s) => [...s].sort().join(',')));
    // both connect at 2 and join at 3 (one tick: one emission); bob leaves at 50 (seen at 51)
    const ignore = { error: () => undefined };
    ts.schedule(() => void alice.topic$('room/1').subscribe(ignore), 0);
    const b = bob.topic$('room/1').subscribe(ignore);
    ts.schedule(() => b.unsubscribe(), 50);
    expectObservable(uids, '^ 100ms !').toBe('a 2ms b 47ms c', { a: '', b: 'alice,bob', c: 'alice' });
  });
});

test('publish reaches members only; the publish effect from a handler does the same', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Room>({ keepAlive: false, authorizeTopic: allowRooms });
    ts.schedule(() => t.stop(), 1000);
    t.server.handle(
      (msg$: Observable<ServerEventMsg<Room>>): Observable<Effect<Room>> =>
        msg$.pipe(ofEvent('room/say'), map((m) => publish(m.data.room, ['room/msg', { text: m.data.text }] as const))),
    );
    const alice = t.client({ uid: 'alice', ...quiet });
    const bob = t.client({ uid: 'bob', ...quiet });
    expectObservable(alice.topic$('room/1'), '^ 100ms !').toBe('20ms a', { a: msg('hi') });
    expectObservable(bob.topic$('room/2'), '^ 100ms !').toBe('');
    expectObservable(bob.events$, '^ 100ms !').toBe('');
    ts.schedule(() => void bob.emit(['room/say', { room: 'room/1', text: 'hi' }]).subscribe(), 20);
  });
});

test('refusals: no authorizeTopic refuses every topic; a false verdict or a throw errors TopicRefusedError', () => {
  ts.run(({ expectObservable }) => {
    const t1 = createTestServer<Room>({ keepAlive: false });
    const t2 = createTestServer<Room>({
      keepAlive: false,
      authorizeTopic: (_req, _uid, topic) => {
        if (topic === 'room/boom') throw new Error('db down');
        return topic === 'room/ok';
      },
    });
    ts.schedule(() => (t1.stop(), t2.stop()), 1000);
    const a = t1.client({ uid: 'a', ...quiet });
    expectObservable(a.topic$('room/1')).toBe('#', undefined, new TopicRefusedError('room/1', 'not allowed to join "room/1"'));
    const b = t2.client({ uid: 'b', ...quiet });
    expectObservable(b.topic$('room/no')).toBe('#', undefined, new TopicRefusedError('room/no', 'not allowed to join "room/no"'));
    expectObservable(b.topic$('room/boom')).toBe('#', undefined, new TopicRefusedError('room/boom', 'not allowed to join "room/boom"'));
  });
});

test('after a reconnect the client joins every topic it holds again; events published after it arrive', () => {
  ts.run(({ expectObservable, flush }) => {
    let joins = 0;
    const t = createTestServer<Room>({ keepAlive: false, authorizeTopic: () => (joins++, true) });
    ts.schedule(() => t.stop(), 1000);
    const alice = t.client({ uid: 'alice', clientId: 'tab', ...quiet });
    ts.schedule(() => t.link('tab').drop(), 20);
    ts.schedule(() => t.server.publish('room/1', msg('before')), 10);
    ts.schedule(() => t.server.publish('room/1', msg('after')), 40);
    // dropped at 20, reconnected at 30 (backoff 10), joined again at once
    expectObservable(alice.topic$('room/1'), '^ 100ms !').toBe('10ms a 29ms b', { a: msg('before'), b: msg('after') });
    flush();
    expect(joins).toBe(2);
  });
});

test('resume per topic: what was published while away is replayed on the rejoin, a too-small log says so', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Room>({ latencyMs: 5, keepAlive: false, authorizeTopic: () => true, resume: { maxEntries: 3 } });
    ts.schedule(() => t.stop(), 10_000);
    const alice = t.client({ uid: 'alice', clientId: 'tab', backoff: () => 1_000, keepAlive: false });
    const say = (text: string) => t.server.publish('room/1', msg(text));
    ts.schedule(() => say('live'), 100);
    ts.schedule(() => t.link('tab').cut(), 200);
    ts.schedule(() => (say('away 1'), say('away 2')), 300); // two while away: the log (3) has them
    ts.schedule(() => t.link('tab').restore(), 2_000);
    ts.schedule(() => t.link('tab').cut(), 4_000);
    ts.schedule(() => ['x1', 'x2', 'x3', 'x4'].forEach(say), 4_100); // four while away: one is trimmed
    ts.schedule(() => t.link('tab').restore(), 6_000);
    ts.schedule(() => say('after'), 8_000);
    // each reconnect attempt takes 1 s of backoff and 5 ms to be refused; the rejoin needs a handshake and a tj
    const reopened = { a: { topic: 'room/1', params: undefined, recovered: true, replayed: 2 }, b: { topic: 'room/1', params: undefined, recovered: false, replayed: 0 } };
    expectObservable(alice.topicReopened$, '^ 9s !').toBe('2230ms a 3799ms b', reopened);
    const texts$ = alice.topic$('room/1').pipe(map(([, d]) => d.text));
    expectObservable(texts$, '^ 9s !').toBe('105ms a 2124ms (bc) 5771ms d', { a: 'live', b: 'away 1', c: 'away 2', d: 'after' });
  });
});

test('the server removes a uid from a topic: its topic$ errors CHSK_TOPIC_REMOVED, others stay', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Room>({ keepAlive: false, authorizeTopic: allowRooms });
    ts.schedule(() => t.stop(), 1000);
    const alice = t.client({ uid: 'alice', ...quiet });
    const bob = t.client({ uid: 'bob', ...quiet });
    ts.schedule(() => t.server.removeFromTopic('room/1', { uid: 'alice' }, 'no longer a member'), 10);
    ts.schedule(() => t.server.publish('room/1', msg('x')), 20);
    expectObservable(alice.topic$('room/1')).toBe('10ms #', undefined, new RemoteError(ErrorCode.TopicRemoved, 'no longer a member'));
    expectObservable(bob.topic$('room/1'), '^ 100ms !').toBe('20ms a', { a: msg('x') });
  });
});

test('limits: topic name, topics per connection, join rate', () => {
  ts.run(({ expectObservable }) => {
    const code = (c: string) => expect.objectContaining({ code: c });
    const t = createTestServer<Room>({ keepAlive: false, authorizeTopic: () => true, maxTopicLength: 10, maxTopicsPerConnection: 2 });
    const r = createTestServer<Room>({ keepAlive: false, authorizeTopic: () => true, topicJoinRate: { perSecond: 1, burst: 2 } });
    ts.schedule(() => (t.stop(), r.stop()), 1000);
    const a = t.client({ uid: 'a', ...quiet });
    expectObservable(a.topic$('room/far-too-long')).toBe('#', undefined, code(ErrorCode.BadTopic));
    expectObservable(a.topic$('room 1')).toBe('#', undefined, code(ErrorCode.BadTopic));
    expectObservable(a.topic$('room/1'), '^ 10ms !').toBe('');
    expectObservable(a.topic$('room/2'), '^ 10ms !').toBe('');
    expectObservable(a.topic$('room/3')).toBe('#', undefined, code(ErrorCode.TooManyTopics));
    const b = r.client({ uid: 'b', ...quiet });
    expectObservable(b.topic$('room/1'), '^ 10ms !').toBe('');
    expectObservable(b.topic$('room/2'), '^ 10ms !').toBe('');
    expectObservable(b.topic$('room/3')).toBe('#', undefined, code(ErrorCode.RateLimited));
  });
});

test('disconnect() errors the topics with CHSK_CLOSED', () => {
  ts.run(({ expectObservable }) => {
    const t = createTestServer<Room>({ keepAlive: false, authorizeTopic: allowRooms });
    ts.schedule(() => t.stop(), 1000);
    const a = t.client({ uid: 'a', ...quiet });
    ts.schedule(() => a.disconnect(), 5);
    expectObservable(a.topic$('room/1')).toBe('5ms #', undefined, new ChannelClosedError('closed (requested-disconnect)'));
  });
});
