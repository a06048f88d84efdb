/**
 * The client half of message ids and acknowledgements (PROTOCOL.md, "Message ids", "`a`: acknowledgement"):
 * real servers, real clients, every transport and both packers.
 */
import { firstValueFrom, lastValueFrom, merge, toArray, type Observable } from 'rxjs';
import type { Packer } from '../../src/packers/Packer';
import { MATRIX, startServer, waitFor, type TestServer } from '../support/harness';
import { FaultProxy } from '../support/faultProxy';
import { ErrorCode, RemoteError, type ChannelError, type DefaultEventMap } from '../../src';
import type { StandardSchemaV1 } from '../../src/schemas/StandardSchemaV1';
import type { ServerOptions } from '../../src/server';

const started: Array<TestServer<DefaultEventMap>> = [];
const proxies: FaultProxy[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
  for (const p of proxies.splice(0)) await p.close();
});

/** How an emit ended: 'done' or its error code. */
const settle = (o$: Observable<void>): Promise<string> =>
  lastValueFrom(o$, { defaultValue: undefined }).then(
    () => 'done',
    (e: ChannelError) => e.code,
  );

/** A Standard Schema v1 that wants `{ text: string }`. */
const textSchema: StandardSchemaV1 = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (x: unknown) =>
      typeof (x as { text?: unknown })?.text === 'string' ? { value: x } : { issues: [{ message: 'expected a string', path: ['text'] }] },
  },
};

/** A packer that records every message the client packs (what it writes), batches flattened. */
function recording(packer: Packer): { packer: Packer; written: Array<Record<string, unknown>> } {
  const written: Array<Record<string, unknown>> = [];
  const note = (m: Record<string, unknown>): void => {
    if (m.t === 'b') for (const x of m.ms as Array<Record<string, unknown>>) note(x);
    else written.push(m);
  };
  return {
    written,
    packer: { ...packer, name: packer.name, binary: packer.binary, unpack: (f) => packer.unpack(f), pack: (m) => (note(m as Record<string, unknown>), packer.pack(m)) },
  };
}

describe.each(MATRIX)('$type / $packerName', ({ type, packer }) => {
  const start = async (opts: ServerOptions = {}) => {
    const s = await startServer<DefaultEventMap>({ packer, ...opts }, { client: { type } });
    started.push(s);
    s.chsk.events$.subscribe((m) => m.reply?.(m.data));
    return s;
  };

  it('gives every emit and request a mid: safe integers >= 1, increasing, never reused across a reconnect', async () => {
    const s = await start();
    const rec = recording(packer);
    const c = await s.connected({ packer: rec.packer, backoff: () => 10 });
    await firstValueFrom(c.send(['t/echo', 1]));
    await lastValueFrom(c.emit(['t/e', 2]), { defaultValue: undefined });
    c.reconnect();
    await waitFor(c.state$, (st) => st.open);
    await firstValueFrom(c.send(['t/echo', 3]));
    await lastValueFrom(c.emit(['t/e', 4]), { defaultValue: undefined });
    const sends = rec.written.filter((m) => m.t === 'e' || m.t === 'q');
    expect(sends.map((m) => (m.ev as unknown[])[1])).toEqual([1, 2, 3, 4]);
    const mids = sends.map((m) => m.mid as number);
    expect(mids.every((n) => Number.isSafeInteger(n) && n >= 1)).toBe(true);
    for (let i = 1; i < mids.length; i++) expect(mids[i]).toBeGreaterThan(mids[i - 1]);
    c.disconnect();
  });

  it('emit completes only once the server has the event (events$ saw it first)', async () => {
    const s = await start();
    const seen: unknown[] = [];
    s.chsk.events$.subscribe((m) => !m.id.startsWith('chsk/') && seen.push(m.data));
    const c = await s.connected();
    const results = await Promise.all([1, 2, 3].map((i) => settle(c.emit(['t/e', i])).then((r) => [r, [...seen]])));
    expect(results.map(([r]) => r)).toEqual(['done', 'done', 'done']);
    // Each emit completed after the server had it.
    results.forEach(([, at], i) => expect(at).toEqual(expect.arrayContaining([i + 1])));
    c.disconnect();
  });

  it('a refused emit errors with the server code: CHSK_BAD_DATA with issues, CHSK_RESERVED_ID; others go through', async () => {
    const s = await start({ schemas: { 'chat/send': { data: textSchema } } });
    const c = await s.connected();
    const bad = await firstValueFrom(c.emit(['chat/send', { text: 1 }])).catch((e: RemoteError) => e);
    expect(bad).toBeInstanceOf(RemoteError);
    expect((bad as RemoteError).code).toBe(ErrorCode.BadData);
    expect((bad as RemoteError).issues).toEqual([expect.objectContaining({ message: 'expected a string' })]);
    await expect(settle(c.emit(['chsk/forged', 1]))).resolves.toBe(ErrorCode.ReservedId);
    await expect(settle(c.emit(['chat/send', { text: 'ok' }]))).resolves.toBe('done');
    c.disconnect();
  });

  it('an emit written into a link that dies before the ack is sent again on the next link and completes, handled once (before the outbox it errored CHSK_CLOSED, and before acks it completed)', async () => {
    const s = await start();
    const proxy = await FaultProxy.start(Number(new URL(s.url).port));
    proxies.push(proxy);
    const seen: unknown[] = [];
    s.chsk.events$.subscribe((m) => !m.id.startsWith('chsk/') && seen.push(m.data));
    const c = await s.connected({ url: `http://127.0.0.1:${proxy.port}/chsk`, type, backoff: () => 60_000 });
    proxy.mode = 'blackhole';
    const lost = settle(c.emit(['t/lost', 1]));
    await proxy.pause(); // the link dies with the event on the wire; the server never sees it
    await waitFor(c.state$, (st) => !st.open);
    expect(seen).toEqual([]);
    proxy.mode = 'forward';
    await proxy.resume();
    c.reconnect();
    await expect(lost).resolves.toBe('done');
    expect(seen).toEqual([1]);
    c.disconnect();
  });
});

/**
 * Issue 10 #5: 600 sends buffered offline (300 requests, 300 emits, interleaved), flushed after a reconnect,
 * default options on both sides (the server's rate limit: 200/s, burst 400). Before pacing about 100 were
 * refused CHSK_RATE_LIMITED; the client now paces to the handshake's `rl`, so none is and all arrive in order.
 */
describe.each(MATRIX)('pacing: $type / $packerName', ({ type, packer }) => {
  it('a full offline buffer flushed after a reconnect is never rate-limited, and arrives in order', async () => {
    const s = await startServer<DefaultEventMap>({ packer }, { client: { type } });
    started.push(s);
    const proxy = await FaultProxy.start(Number(new URL(s.url).port));
    proxies.push(proxy);
    const seen: number[] = [];
    s.chsk.events$.subscribe((m) => {
      if (m.id.startsWith('chsk/')) return;
      seen.push(m.data as number);
      m.reply?.(m.data);
    });
    const c = await s.connected({ url: `http://127.0.0.1:${proxy.port}/chsk`, backoff: () => 50 });
    await proxy.pause();
    await waitFor(c.state$, (st) => !st.open);
    const sends = Array.from({ length: 600 }, (_, i) => (i % 2 ? settle(c.emit(['t/e', i])) : firstValueFrom(c.send(['t/q', i])).then(() => 'done', (e: ChannelError) => e.code)));
    await proxy.resume();
    const results = await Promise.all(sends);
    const refused = results.filter((r) => r !== 'done');
    expect(refused).toEqual([]);
    expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => i));
    c.disconnect();
  }, 20_000);
});
