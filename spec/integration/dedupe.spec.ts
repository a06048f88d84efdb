/**
 * Server-side message-id dedupe (PROTOCOL.md, "Message ids", flow "A repeated request"): raw frames over real
 * WebSocket connections, both packers, on every adapter (this suite runs in the jest projects memory and redis).
 */
import { PACKERS, startServer, type TestServer } from '../support/harness';
import { raw, waitUntil, type Msg } from '../support/rawSession';
import type { DefaultEventMap, ServerEventMsg } from '../../src';
import type { ServerOptions } from '../../src/server';

const started: Array<TestServer<DefaultEventMap>> = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

let n = 0;
const fresh = (what: string) => `${what}${++n}${Date.now() % 100000}`;

describe.each(PACKERS.map((packer) => ({ packer, name: packer.name })))('$name', ({ packer }) => {
  const start = async (opts: ServerOptions = {}) => {
    const s = await startServer<DefaultEventMap>({ packer, ...opts });
    started.push(s);
    const handled: ServerEventMsg[] = [];
    const held: ServerEventMsg[] = [];
    s.chsk.events$.subscribe((m) => {
      if (m.id.startsWith('chsk/')) return;
      handled.push(m as ServerEventMsg);
      if (m.id === 'x/hold') held.push(m as ServerEventMsg);
      else m.reply?.({ echo: m.data, n: handled.length });
    });
    return { s, handled, held };
  };

  it('says so in the handshake (hs.dd: its epoch, the same for every connection, new with every server), and not with dedupe: false', async () => {
    const { s } = await start();
    const a = await raw(s.url, packer, fresh('c'), 'u');
    expect(typeof a.hs.dd).toBe('string');
    const a2 = await raw(s.url, packer, fresh('c'), 'u2');
    expect(a2.hs.dd).toBe(a.hs.dd);
    await a2.close();
    await a.close();
    const { s: other } = await start();
    const o = await raw(other.url, packer, fresh('c'), 'u');
    expect(typeof o.hs.dd).toBe('string');
    expect(o.hs.dd).not.toBe(a.hs.dd);
    await o.close();
    const { s: off } = await start({ dedupe: false });
    const b = await raw(off.url, packer, fresh('c'), 'u');
    expect(b.hs.dd).toBeUndefined();
    await b.close();
  });

  it('a repeated request on a new connection gets the stored reply under its new rid; the handler ran once', async () => {
    const { s, handled } = await start();
    const cid = fresh('c');
    const a = await raw(s.url, packer, cid, 'ann');
    a.send({ t: 'q', rid: 1, mid: 7, ev: ['x/echo', 'hello'] });
    const first = await a.next((m) => m.t === 'r');
    expect(first).toEqual({ t: 'r', rid: 1, d: { echo: 'hello', n: 1 } });
    await a.close();
    const b = await raw(s.url, packer, cid, 'ann');
    b.send({ t: 'q', rid: 40, mid: 7, ev: ['x/echo', 'hello'] });
    expect(await b.next((m) => m.t === 'r')).toEqual({ t: 'r', rid: 40, d: { echo: 'hello', n: 1 } });
    expect(handled.map((m) => m.data)).toEqual(['hello']);
    await b.close();
  });

  it('a request repeated while its first copy is being handled waits for that answer (first connection gone)', async () => {
    const { s, handled, held } = await start();
    const cid = fresh('c');
    const a = await raw(s.url, packer, cid, 'bob');
    a.send({ t: 'q', rid: 3, mid: 11, ev: ['x/hold', 1] });
    await waitUntil(() => held.length === 1);
    await a.close();
    const b = await raw(s.url, packer, cid, 'bob');
    b.send({ t: 'q', rid: 4, mid: 11, ev: ['x/hold', 1] });
    // The copy is not handed to handlers; the first copy's answer, given after the cut, reaches it.
    b.send({ t: 'pi' });
    await b.next((m) => m.t === 'po');
    held[0]!.reply!({ late: true });
    expect(await b.next((m) => m.t === 'r')).toEqual({ t: 'r', rid: 4, d: { late: true } });
    expect(handled).toHaveLength(1);
    await b.close();
  });

  it('a repeated emit is acknowledged again and not handled again; ids are per (uid, client id)', async () => {
    const { s, handled } = await start();
    const cid = fresh('c');
    const a = await raw(s.url, packer, cid, 'cat');
    a.send({ t: 'e', mid: 5, ev: ['x/note', 'one'] });
    await a.next((m) => m.t === 'a' && m.mid === 5);
    await a.close();
    const b = await raw(s.url, packer, cid, 'cat');
    b.send({ t: 'e', mid: 5, ev: ['x/note', 'one'] }, { t: 'e', mid: 6, ev: ['x/note', 'two'] });
    await b.next((m) => m.t === 'a' && m.mid === 6);
    expect(b.got.filter((m) => m.t === 'a').map((m) => m.mid)).toEqual([5, 6]);
    // Another uid with the same client id and mid is somebody else.
    const c = await raw(s.url, packer, cid, 'dog');
    c.send({ t: 'e', mid: 5, ev: ['x/note', 'three'] });
    await c.next((m) => m.t === 'a' && m.mid === 5);
    expect(handled.map((m) => m.data)).toEqual(['one', 'two', 'three']);
    await b.close();
    await c.close();
  });

  it('keeps the arrival order of a connection: 1,000 emits and requests in one batch, each handled once, in order', async () => {
    const { s, handled } = await start({ rateLimit: false });
    const a = await raw(s.url, packer, fresh('c'), 'eve');
    const ms: Msg[] = [];
    for (let i = 1; i <= 1000; i++) ms.push(i % 10 === 0 ? { t: 'q', rid: i, mid: i, ev: ['x/echo', i] } : { t: 'e', mid: i, ev: ['x/note', i] });
    a.send(...ms);
    await a.next((m) => m.t === 'r' && m.rid === 1000);
    await waitUntil(() => a.got.filter((m) => m.t === 'a').length === 900);
    expect(handled.map((m) => m.data)).toEqual(ms.map((_, i) => i + 1));
    // Sent again (a client whose link dropped before the answers): answered, none handled again.
    a.send(...ms);
    await waitUntil(() => a.got.filter((m) => m.t === 'a').length === 1800 && a.got.filter((m) => m.t === 'r').length === 200);
    expect(handled).toHaveLength(1000);
    await a.close();
  });

  it('with dedupe: false a repeated request is handled again', async () => {
    const { s, handled } = await start({ dedupe: false });
    const cid = fresh('c');
    const a = await raw(s.url, packer, cid, 'fox');
    a.send({ t: 'q', rid: 1, mid: 9, ev: ['x/echo', 'a'] });
    await a.next((m) => m.t === 'r');
    a.send({ t: 'q', rid: 2, mid: 9, ev: ['x/echo', 'a'] });
    expect(await a.next((m) => m.t === 'r' && m.rid === 2)).toMatchObject({ d: { n: 2 } });
    expect(handled).toHaveLength(2);
    await a.close();
  });

  it('refuses a bad dedupe option with a ConfigError', async () => {
    await expect(start({ dedupe: { windowMs: -1 } })).rejects.toMatchObject({ code: 'CHSK_BAD_OPTION' });
    await expect(start({ dedupe: { maxEntries: 1.5 } })).rejects.toMatchObject({ code: 'CHSK_BAD_OPTION' });
    await expect(start({ dedupe: 'yes' as never })).rejects.toMatchObject({ code: 'CHSK_BAD_OPTION' });
  });
});
