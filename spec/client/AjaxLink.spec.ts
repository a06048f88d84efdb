import { asyncScheduler } from 'rxjs';
import { jsonPacker } from '../../src';
import type { FetchInit, FetchLike, FetchResponseLike } from '../../src/client';
import { ajaxTransport } from '../../src/client/transports/ajaxTransport';
import type { TransportLink, TransportSignal } from '../../src/client/ClientTransport';
import { AjaxHeader, encodeBody } from '../../src/protocol/ajax';

/** A 200 answer carrying `messages` as frames, ending at frame number `seq`. */
function answer(messages: unknown[], seq: number): FetchResponseLike {
  const body = encodeBody(
    messages.map((m) => jsonPacker.pack(m)),
    false,
  ) as string;
  return {
    status: 200,
    headers: { get: (name: string) => (name === AjaxHeader.Seq ? String(seq) : null) },
    text: () => Promise.resolve(body),
    arrayBuffer: () => Promise.reject(new Error('text only')),
  };
}

interface Call {
  readonly method: string;
  readonly init: FetchInit;
  respond(r: FetchResponseLike): void;
}

/** A fetch whose every request waits until the test answers it. */
function scriptedFetch(): { fetch: FetchLike; next(): Promise<Call> } {
  const calls: Call[] = [];
  const waiters: Array<(c: Call) => void> = [];
  const fetch: FetchLike = (_url, init) =>
    new Promise((resolve, reject) => {
      if (init.method === 'DELETE') return resolve({ ...answer([], 0), status: 204 });
      init.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      const call = { method: init.method, init, respond: resolve };
      const w = waiters.shift();
      if (w) w(call);
      else calls.push(call);
    });
  return { fetch, next: () => (calls.length ? Promise.resolve(calls.shift()!) : new Promise((r) => waiters.push(r))) };
}

describe('AjaxLink: answers that cross', () => {
  test('a poll answer overtaken by a POST answer that carried the same frames is dropped, not an error', async () => {
    const f = scriptedFetch();
    const signals: TransportSignal[] = [];
    const sub = ajaxTransport({ fetch: f.fetch, packer: jsonPacker, scheduler: asyncScheduler, connectTimeoutMs: 5000, requestTimeoutMs: 5000 })
      .connect({ url: 'http://127.0.0.1:9/chsk', clientId: 'c1', params: {}, csrfToken: undefined, binary: false })
      .subscribe((s) => signals.push(s));
    const hs = await f.next();
    hs.respond(answer([{ t: 'hs', v: 1, uid: null, cid: 'c1', tk: 'sel.secret' }], 1));
    const poll = await f.next();
    expect(poll.method).toBe('GET');
    expect(poll.init.headers[AjaxHeader.Ack]).toBe('1');
    const link = (signals.find((s) => s.kind === 'open') as { link: TransportLink }).link;
    link.send(jsonPacker.pack({ t: 'q', rid: 1, ev: ['x/a'] }) as string);
    const post = await f.next();
    expect(post.method).toBe('POST');
    expect(post.init.headers[AjaxHeader.Ack]).toBe('1');
    // The server answered the held poll with frame 2, then the POST with frames 2..3; the POST answer arrives first.
    post.respond(answer([{ t: 'r', rid: 1, d: 'A' }, { t: 'e', ev: ['x/b'] }], 3));
    await new Promise((r) => setImmediate(r));
    poll.respond(answer([{ t: 'r', rid: 1, d: 'A' }], 2));
    const repoll = await f.next();
    expect(repoll.method).toBe('GET');
    expect(repoll.init.headers[AjaxHeader.Ack]).toBe('3');
    const messages = signals.filter((s) => s.kind === 'message').map((s) => jsonPacker.unpack((s as { data: string }).data));
    expect(messages).toEqual([{ t: 'hs', v: 1, uid: null, cid: 'c1', tk: 'sel.secret' }, { t: 'r', rid: 1, d: 'A' }, { t: 'e', ev: ['x/b'] }]);
    expect(signals.some((s) => s.kind === 'close' || s.kind === 'error')).toBe(false);
    sub.unsubscribe();
  });

  test('an answer that skips frames the client never had still ends the link as a protocol error', async () => {
    const f = scriptedFetch();
    const signals: TransportSignal[] = [];
    const sub = ajaxTransport({ fetch: f.fetch, packer: jsonPacker, scheduler: asyncScheduler, connectTimeoutMs: 5000, requestTimeoutMs: 5000 })
      .connect({ url: 'http://127.0.0.1:9/chsk', clientId: 'c1', params: {}, csrfToken: undefined, binary: false })
      .subscribe((s) => signals.push(s));
    (await f.next()).respond(answer([{ t: 'hs', v: 1, uid: null, cid: 'c1', tk: 'sel.secret' }], 1));
    await f.next(); // the poll, left hanging
    const link = (signals.find((s) => s.kind === 'open') as { link: TransportLink }).link;
    link.send(jsonPacker.pack({ t: 'q', rid: 1, ev: ['x/a'] }) as string);
    (await f.next()).respond(answer([{ t: 'r', rid: 1, d: 'A' }], 5)); // frames 4..5: 1..3 are missing
    await new Promise((r) => setImmediate(r));
    expect(signals.find((s) => s.kind === 'close')).toMatchObject({ code: 1002 });
    sub.unsubscribe();
  });
});
