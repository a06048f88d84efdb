import { VirtualTimeScheduler } from 'rxjs';
import { CloseCode, ErrorCode } from '../../src/protocol/codes';
import type { ServerOptions } from '../../src/server/serverOptions';
import { openFake } from '../support/fakeLink';

const q = (rid: number, id = 'test/echo') => JSON.stringify({ t: 'q', rid, ev: [id, rid] });
const e = (id = 'test/tick') => JSON.stringify({ t: 'e', ev: [id] });

/** A core with one fake connection whose handler echoes requests (and leaves 'test/never' unanswered). */
function setup(options: ServerOptions) {
  const scheduler = (options.scheduler as VirtualTimeScheduler | undefined) ?? new VirtualTimeScheduler();
  const f = openFake({ scheduler, ...options });
  const reports: string[] = [];
  f.core.errors.subscribe((r) => reports.push(r.code));
  f.core.events.subscribe((m) => {
    if (m.id !== 'test/never') m.reply?.(m.data as never);
  });
  /** Moves virtual time forward by `ms`. */
  const advance = (ms: number) => {
    scheduler.schedule(() => undefined, ms);
    scheduler.flush();
  };
  /** What the server sent after the handshake, as short strings: r<rid>, x:<code>[:<rid>], po. */
  const answers = () =>
    f.link.messages().slice(1).map((m) => {
      if (m.t === 'r') return `r${m.rid}`;
      if (m.t === 'x') return `x:${m.code}${m.rid === undefined ? '' : `:${m.rid}`}`;
      return m.t;
    });
  return { ...f, advance, answers, reports };
}

describe('ServerCore: rateLimit', () => {
  it('refuses messages beyond the burst with CHSK_RATE_LIMITED carrying the rid, and refills from the scheduler clock', () => {
    const s = setup({ rateLimit: { perSecond: 100, burst: 3, closeAfter: 100 } });
    for (let rid = 1; rid <= 5; rid++) s.handle.receive(q(rid));
    expect(s.answers()).toEqual(['r1', 'r2', 'r3', `x:${ErrorCode.RateLimited}:4`, `x:${ErrorCode.RateLimited}:5`]);
    s.advance(10); // one token
    s.handle.receive(q(6));
    s.handle.receive(q(7));
    expect(s.answers().slice(5)).toEqual(['r6', `x:${ErrorCode.RateLimited}:7`]);
    expect(s.link.closedWith).toBeUndefined();
  });

  it('charges pings and each batch member', () => {
    const s = setup({ rateLimit: { perSecond: 100, burst: 3, closeAfter: 100 } });
    s.handle.receive(JSON.stringify({ t: 'pi' }));
    s.handle.receive(JSON.stringify({ t: 'b', ms: [{ t: 'e', ev: ['a/b'] }, { t: 'q', rid: 1, ev: ['test/echo'] }, { t: 'q', rid: 2, ev: ['test/echo'] }] }));
    s.handle.receive(JSON.stringify({ t: 'pi' }));
    s.handle.receive(JSON.stringify({ t: 'po' })); // pongs are free: they answer our pings
    expect(s.answers()).toEqual(['po', 'r1', `x:${ErrorCode.RateLimited}:2`, `x:${ErrorCode.RateLimited}`]);
  });

  it('closes with 4429 after closeAfter refusals, and ignores what the client sends after that', () => {
    const s = setup({ rateLimit: { perSecond: 100, burst: 2, closeAfter: 3 } });
    for (let rid = 1; rid <= 8; rid++) s.handle.receive(q(rid));
    expect(s.answers()).toEqual(['r1', 'r2', ...[3, 4, 5].map((r) => `x:${ErrorCode.RateLimited}:${r}`)]);
    expect(s.link.closedWith).toEqual({ code: CloseCode.RateLimited, reason: expect.stringMatching(/^CHSK_RATE_LIMITED/) });
  });

  it('forgives refusals once the client pauses long enough for the bucket to refill', () => {
    const s = setup({ rateLimit: { perSecond: 100, burst: 2, closeAfter: 3 } });
    for (let rid = 1; rid <= 4; rid++) s.handle.receive(q(rid)); // 2 refusals
    s.advance(20); // full again
    for (let rid = 5; rid <= 8; rid++) s.handle.receive(q(rid)); // 2 more refusals, counted from 0
    expect(s.link.closedWith).toBeUndefined();
  });

  it('can be switched off', () => {
    const s = setup({ rateLimit: false });
    for (let rid = 1; rid <= 2000; rid++) s.handle.receive(q(rid));
    expect(s.answers().filter((a) => a.startsWith('x:'))).toEqual([]);
  });
});

describe('ServerCore: maxProtocolErrors', () => {
  it('answers each invalid frame and closes with 1008 at the limit', () => {
    const s = setup({ maxProtocolErrors: 3 });
    s.handle.receive('not json');
    s.handle.receive(JSON.stringify({ t: 'zz' }));
    s.handle.receive(JSON.stringify({ t: 'e', ev: ['chsk/x'] }));
    s.handle.receive(q(1)); // after the close: ignored
    expect(s.answers()).toEqual([`x:${ErrorCode.BadFrame}`, `x:${ErrorCode.BadMessage}`, `x:${ErrorCode.ReservedId}`]);
    expect(s.link.closedWith).toEqual({ code: CloseCode.PolicyViolation, reason: expect.stringMatching(/^CHSK_TOO_MANY_ERRORS/) });
  });

  it('counts bad batch members one by one and stops the batch at the close', () => {
    const s = setup({ maxProtocolErrors: 2 });
    s.handle.receive(JSON.stringify({ t: 'b', ms: [1, { t: 'q', rid: 1, ev: ['test/echo'] }, 2, { t: 'q', rid: 2, ev: ['test/echo'] }] }));
    expect(s.answers()).toEqual([`x:${ErrorCode.BadMessage}`, 'r1', `x:${ErrorCode.BadMessage}`]);
    expect(s.link.closedWith?.code).toBe(CloseCode.PolicyViolation);
  });

  it('does not count limits an honest client can hit (rate limit, pending requests)', () => {
    const s = setup({ maxProtocolErrors: 1, maxPendingRequests: 1, rateLimit: { perSecond: 100, burst: 3, closeAfter: 100 } });
    s.handle.receive(q(1, 'test/never'));
    s.handle.receive(q(2, 'test/never'));
    s.handle.receive(q(3));
    s.handle.receive(q(4));
    expect(s.answers()).toEqual([`x:${ErrorCode.TooManyPending}:2`, `x:${ErrorCode.TooManyPending}:3`, `x:${ErrorCode.RateLimited}:4`]);
    expect(s.link.closedWith).toBeUndefined();
  });
});

describe('ServerCore: maxDepth', () => {
  const deep = (levels: number) => JSON.stringify({ t: 'q', rid: 1, ev: ['test/echo', JSON.parse('['.repeat(levels) + ']'.repeat(levels))] });

  it('accepts a message nesting exactly maxDepth levels and refuses one more with CHSK_BAD_FRAME', () => {
    const s = setup({ maxDepth: 10 });
    // The message object is level 1, `ev` level 2, so data of n nested arrays reaches level n + 2.
    s.handle.receive(deep(7)); // level 9
    s.handle.receive(deep(8)); // level 10
    s.handle.receive(deep(9)); // level 11
    expect(s.answers()).toEqual(['r1', 'r1', `x:${ErrorCode.BadFrame}`]);
  });
});

describe('ServerCore: requestTimeoutMs', () => {
  /** A core on a virtual clock that can stop at a given time (flush() alone would run every timer). */
  function timed() {
    const scheduler = new VirtualTimeScheduler();
    const s = setup({ requestTimeoutMs: 100, rateLimit: false, scheduler });
    const at = (t: number) => {
      scheduler.schedule(() => undefined, t - scheduler.now());
      scheduler.maxFrames = t;
      scheduler.flush();
    };
    return { ...s, scheduler, at };
  }

  it('answers each unanswered request with CHSK_NO_REPLY at its own deadline, on one timer per connection', () => {
    const s = timed();
    s.handle.receive(q(1, 'test/never')); // t=0: deadline 100
    s.at(30);
    s.handle.receive(q(2, 'test/never')); // deadline 130
    s.handle.receive(q(3)); // answered at once
    s.at(70);
    s.handle.receive(q(4, 'test/never')); // deadline 170
    expect(s.answers()).toEqual(['r3']);
    s.at(99);
    expect(s.answers()).toEqual(['r3']);
    s.at(100);
    expect(s.answers()).toEqual(['r3', `x:${ErrorCode.NoReply}:1`]);
    s.at(129);
    expect(s.answers()).toHaveLength(2);
    s.at(130);
    expect(s.answers()).toEqual(['r3', `x:${ErrorCode.NoReply}:1`, `x:${ErrorCode.NoReply}:2`]);
    s.at(170);
    expect(s.answers().slice(3)).toEqual([`x:${ErrorCode.NoReply}:4`]);
    // A timed-out request answered late sends nothing more.
    expect(s.answers()).toHaveLength(4);
  });

  it('leaves no timer behind once every request is answered', () => {
    const s = timed();
    s.handle.receive(q(1));
    s.handle.receive(q(2));
    expect(s.answers()).toEqual(['r1', 'r2']);
    expect(s.scheduler.actions.filter((a) => !a.closed)).toHaveLength(0);
  });
});
