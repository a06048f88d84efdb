import { Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ofEvent } from '../../src/operators/ofEvent';

type Ev = ['chat/msg', { text: string }] | ['chat/typing', { who: string }] | ['chat/leave', null];
type Msg = { event: Ev; id: Ev[0]; data: unknown; uid: string | null };

describe('ofEvent', () => {
  let testScheduler: TestScheduler;
  const events: Record<string, Ev> = {
    a: ['chat/msg', { text: 'hi' }],
    b: ['chat/typing', { who: 'ann' }],
    c: ['chat/msg', { text: 'bye' }],
    d: ['chat/leave', null],
  };

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('should never emit for a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold<Ev>('-');
      const e1subs = '     ^';
      const expected = '   -';
      expectObservable(e1.pipe(ofEvent('chat/msg'))).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should complete for an empty source', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = cold<Ev>('|');
      const expected = '   |';
      expectObservable(e1.pipe(ofEvent('chat/msg'))).toBe(expected);
    });
  });

  it('should let a single matching event through', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot<Ev>('--a--|', events);
      const expected = '  --a--|';
      expectObservable(e1.pipe(ofEvent('chat/msg'))).toBe(expected, events);
    });
  });

  it('should filter many event tuples by id', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot<Ev>('-a-b-c-d-b-|', events);
      const expected = '  -a---c-----|';
      expectObservable(e1.pipe(ofEvent('chat/msg'))).toBe(expected, events);
    });
  });

  it('should accept several ids', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot<Ev>('-a-b-c-d-b-|', events);
      const expected = '  -a---c-d---|';
      expectObservable(e1.pipe(ofEvent('chat/msg', 'chat/leave'))).toBe(expected, events);
    });
  });

  it('should filter message objects by their id property', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const msgs: Record<string, Msg> = {};
      for (const [k, event] of Object.entries(events)) msgs[k] = { event, id: event[0], data: event[1], uid: 'u1' };
      const e1 = hot<Msg>('-a-b-c-d-|', msgs);
      const expected = '   ---b-----|';
      expectObservable(e1.pipe(ofEvent('chat/typing'))).toBe(expected, msgs);
    });
  });

  it('should forward errors', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const e1 = hot<Ev>('-a-b-#', events);
      const expected = '  -a---#';
      expectObservable(e1.pipe(ofEvent('chat/msg'))).toBe(expected, events);
    });
  });

  it('should allow unsubscribing early', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const e1 = hot<Ev>('-a-b-c-d-|', events);
      const e1subs = '    ^---!';
      const unsub = '     ----!';
      const expected = '  -a---';
      expectObservable(e1.pipe(ofEvent('chat/msg')), unsub).toBe(expected, events);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('should drop values of neither shape instead of throwing', () => {
    const source = of(null, 42, 'chat/msg', {}, ['chat/msg', 1], { id: 'chat/msg' }) as unknown as Observable<Ev>;
    const out: unknown[] = [];
    source.pipe(ofEvent('chat/msg')).subscribe((v) => out.push(v));
    expect(out).toEqual([['chat/msg', 1], { id: 'chat/msg' }]);
  });

  it('should match exactly with many ids (Set lookup), not by prefix or inherited keys', () => {
    type Wide = readonly [string, unknown];
    const ids = Array.from({ length: 100 }, (_, i) => `topic/${i}`);
    const out: unknown[] = [];
    of<Wide[]>(['topic/5', 1], ['topic/500', 2], ['toString', 3], ['topic/99', 4], ['__proto__', 5])
      .pipe(ofEvent(...ids))
      .subscribe((v) => out.push(v));
    expect(out).toEqual([
      ['topic/5', 1],
      ['topic/99', 4],
    ]);
  });

  it('should validate its ids at call time', () => {
    expect(() => ofEvent()).toThrow(RangeError);
    expect(() => ofEvent<readonly [string, unknown], string>('a', 5 as unknown as string)).toThrow(TypeError);
  });
});
