/**
 * Topics on real servers (port 0), over ws, Ajax and auto with both packers: join (async authorizeTopic), publish
 * to members only, refusal, rejoin after a reconnect, server-side removal, topic presence.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { ErrorCode } from '../../src';
import { MATRIX, startServer, WAIT_MS, waitFor, type TestServer } from '../support/harness';

interface Room {
  'room/msg': { data: { n: number } };
}

/** Resolves once `cond()` holds (checked as events arrive, every few ms); fails the test after WAIT_MS. */
function until(cond: () => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const check = setInterval(() => {
      if (cond()) clearInterval(check), resolve();
      else if (Date.now() - started > WAIT_MS) clearInterval(check), reject(new Error('condition not met in time'));
    }, 2);
  });
}

describe.each(MATRIX)('topics, $type / $packerName', ({ type, packer }) => {
  let s: TestServer<Room>;
  afterEach(async () => {
    await s.stop();
  });

  it('joins through an async authorizeTopic, receives what is published to the topic only, rejoins after a reconnect, is removed', async () => {
    let joins = 0;
    s = await startServer<Room>(
      {
        packer,
        authorizeTopic: async (_req, uid, topic, params) => (joins++, uid === 'alice' && topic.startsWith('room/') && (params as { ok?: boolean })?.ok === true),
      },
      { client: { type } },
    );
    const alice = await s.connected({ params: { uid: 'alice' } });
    const bob = await s.connected({ params: { uid: 'bob' } });
    const got: number[] = [];
    let failure: { code?: string } | undefined;
    alice.topic$('room/1', { ok: true }).subscribe({ next: ([, d]) => got.push(d.n), error: (e) => (failure = e) });
    await waitFor(s.chsk.topicUids$('room/1'), (u) => u.has('alice'));
    // bob is refused, and gets nothing of room/1
    await expect(firstValueFrom(bob.topic$('room/1', { ok: true }))).rejects.toMatchObject({ code: ErrorCode.TopicRefused, name: 'TopicRefusedError' });
    const bobEvents: unknown[] = [];
    bob.events$.subscribe((e) => bobEvents.push(e));
    expect(s.chsk.publish('room/2', ['room/msg', { n: -1 }])).toBe(0);
    expect(s.chsk.publish('room/1', ['room/msg', { n: 1 }])).toBe(1);
    await until(() => got.length === 1);
    // a reconnect: the client joins again by itself (alice's join is the third the server is asked about) and
    // resumes where it was (nothing was published meanwhile)
    const reopened = firstValueFrom(alice.topicReopened$);
    alice.reconnect();
    await expect(reopened).resolves.toEqual({ topic: 'room/1', params: { ok: true }, recovered: true, replayed: 0 });
    expect(joins).toBe(3);
    expect(s.chsk.publish('room/1', ['room/msg', { n: 2 }])).toBe(1);
    await until(() => got.length === 2);
    expect(got).toEqual([1, 2]);
    expect(bobEvents).toEqual([]);
    // removal by the server
    expect(s.chsk.removeFromTopic('room/1', { uid: 'alice' }, 'revoked')).toBe(1);
    await waitFor(s.chsk.topicUids$('room/1'), (u) => u.size === 0);
    await until(() => failure !== undefined);
    expect(failure).toMatchObject({ code: ErrorCode.TopicRemoved, message: 'revoked' });
  }, 20_000);

  it('1,000 events published in a burst arrive in order at every member', async () => {
    s = await startServer<Room>({ packer, authorizeTopic: () => true }, { client: { type } });
    const clients = await Promise.all([1, 2, 3].map((i) => s.connected({ params: { uid: `u${i}` } })));
    const all = clients.map((c) => firstValueFrom(c.topic$('room/big').pipe(take(1000), toArray())));
    await waitFor(s.chsk.topicUids$('room/big'), (u) => u.size === 3);
    for (let n = 0; n < 1000; n++) s.chsk.publish('room/big', ['room/msg', { n }]);
    for (const events of await Promise.all(all)) expect(events.map(([, d]) => d.n)).toEqual([...Array(1000).keys()]);
  }, 20_000);
});
