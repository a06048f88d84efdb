import { MessageIds } from '../../src/client/MessageIds';

describe('MessageIds', () => {
  it('hands out increasing ids from the first one', () => {
    const ids = new MessageIds(1);
    expect([ids.next(), ids.next(), ids.next()]).toEqual([1, 2, 3]);
    const later = new MessageIds(7);
    expect(later.next()).toBe(7);
  });

  it('starts at 1 for a random client id, above every id of an earlier page for a chosen one', () => {
    expect(MessageIds.firstFor(false, 1_700_000_000_000)).toBe(1);
    expect(MessageIds.firstFor(true, 0)).toBe(1);
    const first = MessageIds.firstFor(true, 1_700_000_000_000.5);
    expect(first).toBe(1_700_000_000_000_001);
    expect(Number.isSafeInteger(first)).toBe(true);
    // A page reloaded 1 ms later starts above 999 ids of the page it replaced.
    expect(MessageIds.firstFor(true, 1_700_000_000_001) - first).toBe(1000);
    // A clock far in the future still gives a safe integer.
    expect(Number.isSafeInteger(MessageIds.firstFor(true, 1e20))).toBe(true);
    expect(MessageIds.firstFor(true, NaN)).toBe(1);
  });

  it('refuses a first id that is not a safe integer >= 1, and stops at 2^53-1 rather than reuse one', () => {
    for (const bad of [0, -1, 1.5, NaN, 2 ** 53]) expect(() => new MessageIds(bad)).toThrow(RangeError);
    const ids = new MessageIds(Number.MAX_SAFE_INTEGER);
    expect(ids.next()).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => ids.next()).toThrow(/exhausted/);
  });
});
