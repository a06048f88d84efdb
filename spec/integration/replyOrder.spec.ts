/**
 * A reply never overtakes the pushes its handler made before it (issue 10 #17). Pushes wait out the batch
 * window (after the first one of a window, which leaves at once) while a reply is written at once: before the
 * fix, push(a), push(b), reply(done) reached the client as a, done, b. Over both transports and packers.
 */
import { firstValueFrom, from, mergeMap } from 'rxjs';
import { ofEvent, push, reply, broadcast } from '../../src';
import type { Event } from '../../src';
import { startServer, PACKERS, type TestServer } from '../support/harness';

type M = {
  'ord/push': { data: string };
  'ord/ask': { data: number; reply: string };
};

describe.each(['ws', 'ajax'] as const)('%s: replies keep their place after earlier pushes', (type) => {
  describe.each(PACKERS.map((p) => ({ packer: p, name: p.name })))('$name', ({ packer }) => {
    let s: TestServer<M>;
    afterEach(() => s?.stop());

    // A window long enough that a test machine under load cannot flush it before the reply is written.
    const windows = { wsBatchMs: 2000, ajaxBatchMs: 2000 };

    it.each([
      ['uid pushes', 'push'],
      ['broadcasts', 'broadcast'],
    ] as const)('%s then a reply: the client sees the pushes first', async (_n, how) => {
      s = await startServer<M>({ packer, ...windows });
      s.chsk.handle((msg$) =>
        msg$.pipe(
          ofEvent('ord/ask'),
          mergeMap((m) => {
            const ev = (i: number): Event<M> => ['ord/push', `${m.data}.${i}`];
            const out = how === 'push' ? [push<M>(m.uid, ev(1)), push<M>(m.uid, ev(2)), push<M>(m.uid, ev(3))] : [broadcast<M>(ev(1)), broadcast<M>(ev(2)), broadcast<M>(ev(3))];
            return from([...out, reply(m, `done ${m.data}`)]);
          }),
        ),
      );
      const c = await s.connected({ type, packer, params: { uid: 'alice' } });
      const seen: string[] = [];
      c.events$.subscribe((e) => seen.push(String(e[1])));
      for (const n of [1, 2]) {
        const answer = await firstValueFrom(c.send(['ord/ask', n]));
        expect(answer).toBe(`done ${n}`);
        // Everything pushed before the reply was there when the reply arrived.
        expect(seen.slice(-3)).toEqual([`${n}.1`, `${n}.2`, `${n}.3`]);
      }
    });
  });
});

