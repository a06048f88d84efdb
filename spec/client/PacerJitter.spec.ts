/**
 * The pacer against a server that stalls (issue 10 #5, seen in CI: a flushed offline buffer of 600 sends over
 * WebSocket got 47 `CHSK_RATE_LIMITED` on a loaded machine). The server counts tokens when it reads frames, not
 * when the client wrote them: a stall (a busy event loop, a delayed TCP segment) delivers everything written
 * during it at once. The pacer's reserve must absorb such a stall of up to a second at the default limit.
 * Pure model in virtual time: the client's Pacer schedules the writes, the server's TokenBucket reads them.
 */
import { Pacer } from '../../src/client/Pacer';
import { TokenBucket } from '../../src/server/TokenBucket';

/** Times at which a client paced to `rl` writes `n` queued messages (all queued at 0). */
function writeTimes(rl: { r: number; b: number }, n: number): number[] {
  let now = 0;
  const p = new Pacer(() => now);
  p.reset(rl);
  const times: number[] = [];
  while (times.length < n) {
    if (p.take()) times.push(now);
    else now += p.waitMs();
  }
  return times;
}

/** How many of the writes a server bucket refuses when frames written in [from, from + stallMs) are read at its end. */
function refusedWithStall(rl: { r: number; b: number }, times: number[], from: number, stallMs: number): number {
  let now = 0;
  const server = new TokenBucket(rl.r, rl.b, () => now);
  let refused = 0;
  for (const t of times) {
    now = t >= from && t < from + stallMs ? from + stallMs : t;
    if (!server.take()) refused++;
  }
  return refused;
}

describe('Pacer under a stalling server', () => {
  const defaults = { r: 200, b: 400 }; // the server's default rateLimit
  const times = writeTimes(defaults, 600);

  test.each([0, 50, 250, 500, 1000, 2000, 2500])('a 1 s stall starting at %i ms refuses nothing (600 queued sends, default limit)', (from) => {
    expect(refusedWithStall(defaults, times, from, 1000)).toBe(0);
  });

  test('a small limit keeps the same reserve: one second of its rate', () => {
    const rl = { r: 20, b: 40 };
    const t = writeTimes(rl, 100);
    for (let from = 0; from < 3000; from += 100) expect(refusedWithStall(rl, t, from, 1000)).toBe(0);
  });

  test('a tiny rate beside its burst bunches next to nothing: the whole burst is used and a stall refuses nothing', () => {
    const rl = { r: 0.001, b: 3 };
    const t = writeTimes(rl, 3);
    expect(t).toEqual([0, 0, 0]);
    expect(refusedWithStall(rl, t, 0, 1000)).toBe(0);
  });

  test('the reserve costs little: 600 queued sends leave within 2.2 s at the default limit', () => {
    expect(times[times.length - 1]).toBeLessThanOrEqual(2200);
  });
});
