import { scan } from 'rxjs';
import { ErrorCode, jsonPacker, type DefaultEventMap } from '../../src';
import { decodeBody } from '../../src/protocol/ajax';
import { msgpackPacker } from '../../src/packers/msgpack';
import type { ServerErrorReport } from '../../src/server';
import { randomCid } from '../support/ajaxRaw';
import { MemoryAdapter } from '../../src/server/adapter/MemoryAdapter';
import { startServer, waitFor, type TestServer } from '../support/harness';
import { rawClient } from '../support/rawClient';

// The resume request and answer on the wire (PROTOCOL.md, "Offsets and resume"), by hand over both transports:
// what hs.rs and hs.rc say, what follows the handshake, and hostile `rs` values (ignored and reported; the
// server keeps serving).

type Msg = Record<string, unknown>;

describe.each([jsonPacker, msgpackPacker].map((p) => [p.name, p] as const))('the rs request with %s', (_name, packer) => {
  let s: TestServer<DefaultEventMap>;
  let reports: ServerErrorReport[];
  beforeEach(async () => {
    s = await startServer({ packer, wsBatchMs: 0, ajaxBatchMs: 0 });
    reports = [];
    s.chsk.errors$.subscribe((r) => reports.push(r));
  });
  afterEach(() => s.stop());

  /** Opens a raw WebSocket with `rs`: its handshake, and a wait for the first `n` messages after it. */
  const overWs = async (uid: string, rs?: string): Promise<{ hs: Msg; after: (events: number) => Promise<Msg[]> }> => {
    const q = new URLSearchParams({ cid: randomCid(), uid, ...(rs !== undefined ? { rs } : {}) });
    const c = await rawClient(s.url, packer, q.toString());
    const hs = await c.next((m) => m.t === 'hs');
    const after = (n: number): Promise<Msg[]> =>
      waitFor(c.messages$.pipe(scan((all: Msg[], m: Msg) => [...all, m], [])), (all) => events(all.slice(1)).length >= n).then((all) => all.slice(1));
    return { hs, after };
  };
  const overAjax = async (uid: string, rs?: string): Promise<Msg[]> => {
    const q = new URLSearchParams({ v: '1', hs: '1', cid: randomCid(), uid, ...(rs !== undefined ? { rs } : {}) });
    const r = await fetch(`${s.url}?${q}`);
    expect(r.status).toBe(200);
    const body = packer.binary ? new Uint8Array(await r.arrayBuffer()) : await r.text();
    return decodeBody(body, packer.binary).map((f) => packer.unpack(f) as Msg);
  };
  const events = (ms: Msg[]): Msg[] => ms.flatMap((m) => (m.t === 'b' ? (m.ms as Msg[]) : [m])).filter((m) => m.t === 'e');

  test('a first connect gets its positions and no verdict; pushes carry seq (and st for broadcasts)', async () => {
    const { hs, after } = await overWs('p1');
    const rs = hs.rs as { u: [number, string]; b: [number, string] };
    expect(rs.u[0]).toBe(0);
    expect(typeof rs.u[1]).toBe('string');
    expect(rs.b).toHaveLength(2);
    expect(hs.rc).toBeUndefined();
    s.chsk.send('p1', ['a/x', 1]);
    s.chsk.broadcast(['a/y', 2]);
    expect(events(await after(2))).toEqual([
      { t: 'e', ev: ['a/x', 1], seq: 1 },
      { t: 'e', ev: ['a/y', 2], seq: rs.b[0] + 1, st: 'b' },
    ]);
  });

  test.each(['ws', 'ajax'] as const)('over %s: presented positions get the missed entries right after the handshake, in order', async (t) => {
    const first = await overWs('p2');
    const rs = first.hs.rs as { u: [number, string]; b: [number, string] };
    for (let i = 1; i <= 5; i++) s.chsk.send('p2', ['a/x', i]);
    s.chsk.broadcast(['a/b', 0]);
    const presented = JSON.stringify({ u: [2, rs.u[1]], b: rs.b });
    const c = t === 'ws' ? await overWs('p2', presented) : undefined;
    const ms = c ? [c.hs, ...(await c.after(4))] : await overAjax('p2', presented);
    expect(ms[0]).toMatchObject({ t: 'hs', rs: { u: [5, rs.u[1]], b: [rs.b[0] + 1, rs.b[1]] }, rc: { ok: true, n: 4 } });
    expect(events(ms.slice(1))).toEqual([
      { t: 'e', ev: ['a/x', 3], seq: 3 },
      { t: 'e', ev: ['a/x', 4], seq: 4 },
      { t: 'e', ev: ['a/x', 5], seq: 5 },
      { t: 'e', ev: ['a/b', 0], seq: rs.b[0] + 1, st: 'b' },
    ]);
  });

  test.each(['ws', 'ajax'] as const)('over %s: an unknown epoch gets ok false and nothing replayed for that stream', async (t) => {
    const first = await overWs('p3');
    const rs = first.hs.rs as { u: [number, string]; b: [number, string] };
    s.chsk.send('p3', ['a/x', 1]);
    s.chsk.broadcast(['a/b', 1]);
    const presented = JSON.stringify({ u: [0, 'another-epoch'], b: rs.b });
    const c = t === 'ws' ? await overWs('p3', presented) : undefined;
    const ms = c ? [c.hs, ...(await c.after(1))] : await overAjax('p3', presented);
    expect(ms[0]).toMatchObject({ t: 'hs', rs: { u: [1, rs.u[1]] }, rc: { ok: false, n: 1 } });
    expect(events(ms.slice(1))).toEqual([{ t: 'e', ev: ['a/b', 1], seq: rs.b[0] + 1, st: 'b' }]);
  });

  test.each([
    ['too long', JSON.stringify({ u: [1, 'e'.repeat(600)] })],
    ['not JSON', '{"u":[1,'],
    ['not an object', '[1,"e"]'],
    ['a number', '42'],
    ['null', 'null'],
    ['offset a string', JSON.stringify({ u: ['1', 'e'] })],
    ['offset negative', JSON.stringify({ u: [-1, 'e'] })],
    ['offset fractional', JSON.stringify({ b: [0.5, 'e'] })],
    ['offset above 2^53', '{"u":[9007199254740993,"e"]}'],
    ['epoch a number', JSON.stringify({ u: [1, 5] })],
    ['epoch empty', JSON.stringify({ u: [1, ''] })],
    ['epoch too long', JSON.stringify({ u: [1, 'e'.repeat(200)] })],
    ['position not a pair', JSON.stringify({ u: [1] })],
    ['__proto__ keys', '{"__proto__":{"u":[1,"e"]},"constructor":{"prototype":{"x":1}}}'],
  ])('a hostile rs (%s) is ignored and reported; the connection opens without a verdict', async (_, rs) => {
    const { hs } = await overWs('h1', rs);
    expect(hs.rs).toBeDefined();
    expect(hs.rc).toBeUndefined();
    const ajax = await overAjax('h1', rs);
    expect(ajax[0]).toMatchObject({ t: 'hs' });
    expect((ajax[0] as Msg).rc).toBeUndefined();
    if (rs.includes('__proto__')) {
      expect(({} as Record<string, unknown>).u).toBeUndefined();
      return; // ignored keys, not malformed: nothing to report
    }
    expect(reports.filter((r) => r.code === ErrorCode.BadMessage && /rs query parameter/.test(r.message))).toHaveLength(2);
    // The server keeps serving: a well-formed client right after.
    const ok = await overWs('h2');
    expect(ok.hs.rs).toBeDefined();
  });
});

describe('resume: false', () => {
  test.each([
    ['the server option', { resume: false as const }],
    ['an adapter without logs', { adapter: new MemoryAdapter({ replay: false }) }],
  ])('%s: no positions, no seq, and a reopen says not recovered', async (_, o) => {
    const s = await startServer({ ...o, wsBatchMs: 0 });
    try {
      const c = await rawClient(s.url, jsonPacker, `cid=${randomCid()}&uid=f1`);
      const hs = await c.next((m) => m.t === 'hs');
      expect(hs.rs).toBeUndefined();
      s.chsk.send('f1', ['a/x', 1]);
      expect(await c.next((m) => m.t === 'e')).toEqual({ t: 'e', ev: ['a/x', 1] });
      const client = await s.connected({ params: { uid: 'f2' } });
      const reopened = waitFor(client.reopened$);
      client.reconnect();
      await expect(reopened).resolves.toEqual({ recovered: false, replayed: 0 });
      expect(client.state$.value.recovery).toEqual({ recovered: false, replayed: 0 });
    } finally {
      await s.stop();
    }
  });
});
