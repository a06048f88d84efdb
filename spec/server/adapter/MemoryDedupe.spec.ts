import { MemoryDedupe } from '../../../src/server/adapter/MemoryDedupe';
import { MessageType } from '../../../src/protocol/messages';

describe('MemoryDedupe', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 0));

  test('new, then pending until completed, then done with the stored reply', () => {
    const d = new MemoryDedupe(clock);
    expect(d.claim('u', 'c', 1)).toEqual({ state: 'new' });
    expect(d.claim('u', 'c', 1)).toEqual({ state: 'pending' });
    const reply = { t: MessageType.Reply, rid: 7, d: { ok: true } } as const;
    d.complete('u', 'c', 1, reply);
    expect(d.claim('u', 'c', 1)).toEqual({ state: 'done', reply });
    d.complete('u', 'c', 2, undefined); // never claimed: nothing recorded
    expect(d.claim('u', 'c', 2)).toEqual({ state: 'new' });
  });

  test('keys by uid and client id together, never by client id alone', () => {
    const d = new MemoryDedupe(clock);
    expect(d.claim('alice', 'c', 1).state).toBe('new');
    expect(d.claim('bob', 'c', 1).state).toBe('new');
    expect(d.claim('alice', 'c2', 1).state).toBe('new');
    expect(d.claim('alice', 'c', 1).state).toBe('pending');
  });

  test('is bounded per client by entries (oldest first) and by the window', () => {
    const d = new MemoryDedupe(clock, { maxEntries: 3, windowMs: 1000 });
    for (const mid of [1, 2, 3, 4]) d.claim('u', 'c', mid);
    expect(d.claim('u', 'c', 1).state).toBe('new'); // evicted by 4; claiming again evicts 2
    expect(d.claim('u', 'c', 3).state).toBe('pending');
    now = 1001;
    expect(d.claim('u', 'c', 4).state).toBe('new'); // past the window
    d.sweep();
  });
});
