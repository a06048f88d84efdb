import { TestScheduler } from 'rxjs/testing';
import { Presence } from '../../../src/server/adapter/Presence';
import { UidsView, type ConnectedUids } from '../../../src/server/adapter/UidsView';
import type { ServerConn } from '../../../src/server/ServerConn';

// Issue 10 #11: with a subscriber, every uid change built a snapshot (a copy of every changed set): O(n) per
// change. Changes in one tick now leave in one emission on the scheduler; `value` is current at once.
describe('UidsView: connectedUids$ costs O(1) per change', () => {
  const conn = (key: string) => ({ key, transport: 'ws' }) as unknown as ServerConn;
  /** Presence feeding a view, wired as MemoryAdapter wires them. */
  const setup = (ts: TestScheduler) => {
    const view = new UidsView();
    view.coalesceOn(ts);
    const ports: string[] = [];
    const p = new Presence(ts, { ws: 100, ajax: 100 }, {
      listed: (key, ws, ajax) => view.set(key, ws, ajax) && view.publish(),
      port: (key, open) => ports.push(`${open ? '+' : '-'}${key}`),
    });
    const seen: [number, number][] = [];
    view.connectedUids$.subscribe((u: ConnectedUids) => seen.push([ts.now(), u.any.size]));
    return { view, p, ports, seen };
  };

  test('a thousand arrivals in one tick are one emission, in the same virtual frame', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const { view, p, seen } = setup(ts);
      ts.schedule(() => {
        for (let i = 0; i < 1000; i++) p.opened(conn(`u${i}`));
        expect(view.connectedUids$.value.any.size).toBe(1000); // current at once, without waiting for the emission
      }, 5);
      ts.flush();
      expect(seen).toEqual([
        [0, 0],
        [5, 1000],
      ]);
    });
  });

  test('a thousand departures whose grace ends together are one emission', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const { p, ports, seen } = setup(ts);
      const conns = Array.from({ length: 1000 }, (_, i) => conn(`u${i}`));
      for (const c of conns) p.opened(c);
      ts.flush();
      for (const c of conns) p.closed(c, 0);
      ts.flush();
      expect(seen.map(([, n]) => n)).toEqual([0, 1000, 0]);
      expect(ports.filter((x) => x.startsWith('-'))).toHaveLength(1000);
    });
  });

  test('changes in separate ticks are separate emissions; an emitted snapshot never changes', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const view = new UidsView();
      view.coalesceOn(ts);
      const snaps: ConnectedUids[] = [];
      view.connectedUids$.subscribe((u) => snaps.push(u));
      ts.schedule(() => view.set('a', true, false) && view.publish(), 1);
      ts.schedule(() => view.set('b', false, true) && view.publish(), 2);
      ts.flush();
      expect(snaps.map((u) => [[...u.ws], [...u.ajax], [...u.any]])).toEqual([
        [[], [], []],
        [['a'], [], ['a']],
        [['a'], ['b'], ['a', 'b']],
      ]);
    });
  });

  test('close() emits the final snapshot before completing, and cancels a pending emission', () => {
    const ts = new TestScheduler(() => undefined);
    ts.run(() => {
      const view = new UidsView();
      view.coalesceOn(ts);
      const seen: number[] = [];
      let completed = false;
      view.connectedUids$.subscribe({ next: (u) => seen.push(u.any.size), complete: () => (completed = true) });
      view.set('a', true, false);
      view.publish();
      view.close();
      ts.flush();
      expect(seen).toEqual([0, 0]);
      expect(completed).toBe(true);
    });
  });
});
