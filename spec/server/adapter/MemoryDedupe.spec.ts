// The DedupeStore contract, over MemoryDedupe and RedisDedupe (when Redis answers): the same tests.
import { MessageType } from '../../../src/protocol/messages';
import { MemoryDedupe } from '../../../src/server/adapter/MemoryDedupe';
import { storeImpls } from './storeImpls';

describe.each(storeImpls().map((impl) => [impl.name, impl] as const))('DedupeStore: %s', (_name, impl) => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 0));

  test('new, then pending until completed, then done with the stored reply', async () => {
    const d = impl.dedupe(clock);
    expect(await d.claim('u', 'c', 1)).toEqual({ state: 'new' });
    expect(await d.claim('u', 'c', 1)).toEqual({ state: 'pending' });
    const reply = { t: MessageType.Reply, rid: 7, d: { ok: true } } as const;
    await d.complete('u', 'c', 1, reply);
    expect(await d.claim('u', 'c', 1)).toEqual({ state: 'done', reply });
    await d.complete('u', 'c', 2, undefined); // never claimed: nothing recorded
    expect(await d.claim('u', 'c', 2)).toEqual({ state: 'new' });
    await d.complete('u', 'c', 2, undefined); // an emit: done, no reply
    expect(await d.claim('u', 'c', 2)).toEqual({ state: 'done', reply: undefined });
  });

  test('keys by uid and client id together, never by client id alone', async () => {
    const d = impl.dedupe(clock);
    expect((await d.claim('alice', 'c', 1)).state).toBe('new');
    expect((await d.claim('bob', 'c', 1)).state).toBe('new');
    expect((await d.claim('alice', 'c2', 1)).state).toBe('new');
    expect((await d.claim('alice', 'c', 1)).state).toBe('pending');
  });

  test('is bounded per client by entries (oldest first) and by the window', async () => {
    const d = impl.dedupe(clock, { maxEntries: 3, windowMs: 1000 });
    for (const mid of [1, 2, 3, 4]) await d.claim('u', 'c', mid);
    expect((await d.claim('u', 'c', 1)).state).toBe('new'); // evicted by 4; claiming again evicts 2
    expect((await d.claim('u', 'c', 3)).state).toBe('pending');
    now = 1001;
    expect((await d.claim('u', 'c', 4)).state).toBe('new'); // past the window
    if (d instanceof MemoryDedupe) d.sweep();
  });

  test('concurrent claims of one id (two nodes at once): exactly one is new', async () => {
    const a = impl.dedupe(clock);
    const b = _name === 'redis' ? impl.dedupe(clock) : a;
    const verdicts = await Promise.all([a.claim('u', 'c', 9), b.claim('u', 'c', 9), a.claim('u', 'c', 9), b.claim('u', 'c', 9)]);
    expect(verdicts.filter((v) => v.state === 'new')).toHaveLength(1);
  });
});

describe('MemoryDedupe: the window while clients alternate (the last-client shortcut)', () => {
  test('claims of two clients interleaved keep their own windows; the age trim runs once its oldest is due', () => {
    let now = 0;
    const d = new MemoryDedupe(() => now, { maxEntries: 2, windowMs: 100 });
    expect(d.claim('u', 'a', 1).state).toBe('new');
    expect(d.claim('u', 'b', 1).state).toBe('new');
    now = 50;
    expect(d.claim('u', 'a', 2).state).toBe('new');
    expect(d.claim('u', 'b', 1).state).toBe('pending');
    d.complete('u', 'a', 2, undefined);
    expect(d.claim('u', 'a', 2)).toEqual({ state: 'done', reply: undefined });
    now = 120; // a's 1 (at 0) has left the window, its 2 (at 50) has not
    expect(d.claim('u', 'a', 1).state).toBe('new');
    expect(d.claim('u', 'a', 2).state).toBe('done');
    expect(d.claim('u', 'a', 3).state).toBe('new'); // evicts 2 (maxEntries 2, oldest first)
    expect(d.claim('u', 'a', 2).state).toBe('new');
    now = 400;
    d.sweep(); // every id of both clients has left the window: both forgotten
    expect(d.claim('u', 'b', 1).state).toBe('new');
    expect(d.claim('u', 'a', 3).state).toBe('new');
  });
});
