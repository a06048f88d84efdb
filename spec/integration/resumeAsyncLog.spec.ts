import { scan } from 'rxjs';
import { ErrorCode, jsonPacker, type DefaultEventMap } from '../../src';
import { MemoryAdapter } from '../../src/server/adapter/MemoryAdapter';
import type { MemoryReplayLog } from '../../src/server/adapter/MemoryReplayLog';
import type { ReplayLog, ReplayRead, StreamPosition } from '../../src/server/adapter/ReplayLog';
import type { EventMessage } from '../../src/protocol/messages';
import { randomCid } from '../support/ajaxRaw';
import { startServer, waitFor, type TestServer } from '../support/harness';
import { rawClient } from '../support/rawClient';

// A replay log that answers after a round trip (as Redis does): the connection is registered for new pushes
// before the read and holds them until the handshake and the replay are written; pushes the read already
// covers are not written twice. Memory answers at once, so this path is driven by an adapter whose log waits.

type Msg = Record<string, unknown>;

/** Wraps a memory log: every read first runs `during` (pushes made while a round trip is under way), then answers on the next macrotask. */
class SlowLog implements ReplayLog {
  during: () => void = () => undefined;
  fail = false;
  constructor(private readonly inner: MemoryReplayLog) {}
  append(stream: string, msg: EventMessage, bytes: number): StreamPosition | Promise<StreamPosition> {
    return this.inner.append(stream, msg, bytes);
  }
  /** The memory adapter's push path (appends stay at once). */
  appendOffset(stream: string, msg: EventMessage, bytes: number): number {
    return this.inner.appendOffset(stream, msg, bytes);
  }
  readSince(stream: string, since: StreamPosition, max?: number): Promise<ReplayRead> {
    return this.later(() => this.inner.readSince(stream, since, max) as ReplayRead);
  }
  position(stream: string): Promise<StreamPosition> {
    return this.later(() => this.inner.position(stream) as StreamPosition);
  }
  private later<T>(answer: () => T): Promise<T> {
    this.during();
    return new Promise((resolve, reject) => setImmediate(() => (this.fail ? reject(new Error('log down')) : resolve(answer()))));
  }
}

class SlowLogAdapter extends MemoryAdapter {
  readonly slow = new SlowLog(this.replayLog);
}

describe('resume over a replay log that answers later', () => {
  let s: TestServer<DefaultEventMap>;
  let adapter: SlowLogAdapter;
  beforeEach(async () => {
    adapter = new SlowLogAdapter();
    // The core reads `adapter.replayLog`: point it at the slow one (the adapter still appends to the inner log).
    Object.defineProperty(adapter, 'replayLog', { value: adapter.slow });
    s = await startServer({ adapter, wsBatchMs: 0 });
  });
  afterEach(() => s.stop());

  const events = (ms: Msg[]): Msg[] => ms.flatMap((m) => (m.t === 'b' ? (m.ms as Msg[]) : [m])).filter((m) => m.t === 'e');
  const open = async (uid: string, rs?: string) => {
    const q = new URLSearchParams({ cid: randomCid(), uid, ...(rs ? { rs } : {}) });
    const c = await rawClient(s.url, jsonPacker, q.toString());
    const all$ = c.messages$.pipe(scan((all: Msg[], m: Msg) => [...all, m], []));
    return { c, until: (n: number) => waitFor(all$, (all) => events(all).length >= n) };
  };

  test('pushes made while the log is read come after the replay, each once, in order', async () => {
    const first = await open('a');
    const hs0 = await first.c.next((m) => m.t === 'hs');
    const [, epoch] = (hs0.rs as { u: [number, string] }).u;
    for (let i = 1; i <= 3; i++) s.chsk.send('a', ['n/x', i]);
    adapter.slow.during = () => {
      // Delivered to the new connection (held) and appended before the read answers: the read covers them too.
      if (!adapter.slow.fail) for (let i = 4; i <= 5; i++) s.chsk.send('a', ['n/x', i]);
      adapter.slow.during = () => undefined;
    };
    const second = await open('a', JSON.stringify({ u: [1, epoch] }));
    const ms = await second.until(4);
    expect(ms[0]).toMatchObject({ t: 'hs', rs: { u: [5, epoch] }, rc: { ok: true, n: 4 } });
    s.chsk.send('a', ['n/x', 6]);
    const all = await second.until(5);
    expect(events(all).map((m) => [(m.ev as unknown[])[1], m.seq])).toEqual([
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ]);
  });

  test('a log that fails: reported, the handshake says not recovered and carries no positions; held pushes still arrive', async () => {
    const reports: string[] = [];
    s.chsk.errors$.subscribe((r) => reports.push(r.code));
    adapter.slow.fail = true;
    adapter.slow.during = () => {
      s.chsk.send('b', ['n/x', 1]);
      adapter.slow.during = () => undefined;
    };
    const c = await open('b', JSON.stringify({ u: [0, 'x'] }));
    const ms = await c.until(1);
    expect(ms[0]).toMatchObject({ t: 'hs', rc: { ok: false, n: 0 } });
    expect(ms[0]!.rs).toBeUndefined();
    expect(events(ms)).toEqual([{ t: 'e', ev: ['n/x', 1], seq: 1 }]);
    expect(reports).toContain(ErrorCode.AdapterError);
  });

  test('the Ajax handshake answer waits for the log: the hs is its first frame', async () => {
    const q = new URLSearchParams({ v: '1', hs: '1', cid: randomCid(), uid: 'c' });
    const r = await fetch(`${s.url}?${q}`);
    expect(r.status).toBe(200);
    const first = JSON.parse((await r.text()).split('\n')[0]!) as Msg;
    expect(first).toMatchObject({ t: 'hs', uid: 'c' });
    expect((first.rs as { u: unknown[] }).u[0]).toBe(0);
  });
});
