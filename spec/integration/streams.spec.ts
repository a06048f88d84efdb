/**
 * Streamed replies on real servers (port 0), over ws, Ajax and auto with both packers: a long stream with a small
 * window (memory bounded, order kept), cancel mid-stream, and a link cut mid-stream through the TCP fault proxy.
 */
import { finalize, firstValueFrom, interval, lastValueFrom, map, Subject, take, toArray } from 'rxjs';
import WebSocket from 'ws';
import { createChannelSocketClient, type ChannelSocketClient } from '../../src/client';
import { ErrorCode, ofEvent, replyStream, type StreamCutError } from '../../src';
import { FaultProxy } from '../support/faultProxy';
import { MATRIX, startServer, waitFor, type TestServer } from '../support/harness';

interface Streams {
  'rows/all': { data: { n: number }; stream: number };
  'rows/ticks': { data: null; stream: number };
}

describe.each(MATRIX)('streamed replies, $type / $packerName', ({ type, packer }) => {
  let s: TestServer<Streams>;
  const finalised = new Subject<string>();
  afterEach(async () => {
    await s.stop();
  });

  async function server(): Promise<void> {
    s = await startServer<Streams>({ packer }, { client: { type } });
  }

  // Ajax pays an HTTP round trip per credit: a window of 64 keeps the suite short there (it is still 1/156 of the stream).
  const window = type === 'ajax' ? 64 : 16;

  it(`10,000 items with window ${window} arrive in order while the server never runs more than a window ahead`, async () => {
    await server();
    const got: number[] = [];
    let maxAhead = 0;
    async function* rows(n: number): AsyncGenerator<number> {
      for (let i = 0; i < n; i++) {
        maxAhead = Math.max(maxAhead, i - got.length);
        yield i;
      }
    }
    s.chsk.events$.pipe(ofEvent('rows/all')).subscribe((m) => m.reply?.stream(rows(m.data.n)));
    const c = await s.connected();
    await new Promise<void>((resolve, reject) =>
      c.stream$(['rows/all', { n: 10_000 }], { window }).subscribe({ next: (v) => got.push(v), error: reject, complete: resolve }),
    );
    expect(got.length).toBe(10_000);
    expect(got.every((v, i) => v === i)).toBe(true);
    // pulled-but-not-received items: at most the window (one more may be mid-pull)
    expect(maxAhead).toBeLessThanOrEqual(window + 1);
    expect(maxAhead).toBeGreaterThan(0);
  }, 60_000);

  it('cancel mid-stream: take(20) on the client runs the server source finaliser', async () => {
    await server();
    s.chsk.handle((msg$) =>
      msg$.pipe(
        ofEvent('rows/ticks'),
        map((m) => replyStream(m, interval(1).pipe(finalize(() => finalised.next('ticks'))))),
      ),
    );
    const c = await s.connected();
    const stopped = firstValueFrom(finalised);
    const items = await lastValueFrom(c.stream$(['rows/ticks', null], { window: 8 }).pipe(take(20), toArray()));
    expect(items).toEqual([...Array(20).keys()]);
    await expect(stopped).resolves.toBe('ticks');
  }, 20_000);

  it('a TCP reset mid-stream never loses or reorders items: the stream is cut (CHSK_STREAM_CUT, source stopped) or goes on intact', async () => {
    await server();
    const proxy = await FaultProxy.start(Number(new URL(s.url).port));
    try {
      let served = 0;
      s.chsk.events$.pipe(ofEvent('rows/ticks')).subscribe((m) => {
        served++;
        m.reply?.stream(interval(2).pipe(finalize(() => finalised.next('cut'))));
      });
      const c = createChannelSocketClient<Streams>({
        url: `http://127.0.0.1:${proxy.port}/chsk`,
        params: { uid: 'u' },
        WebSocket,
        type,
        packer,
        backoff: () => 20,
      });
      try {
        await waitFor(c.state$, (st) => st.open);
        const stopped = firstValueFrom(finalised);
        const got: number[] = [];
        // Over WebSocket a reset ends the link. Over Ajax it may not: a poll lost to the reset is asked again and
        // the server sends its answer again (PROTOCOL.md, A5), so the link, and the stream, may live on.
        const err = await new Promise<StreamCutError | undefined>((resolve) => {
          const sub = c.stream$(['rows/ticks', null]).subscribe({
            next: (v) => {
              got.push(v);
              if (v === 5) proxy.reset();
              if (got.length === 40) sub.unsubscribe(), resolve(undefined);
            },
            error: resolve,
          });
        });
        expect(got).toEqual([...Array(got.length).keys()]);
        if (type !== 'ajax') expect(err).toBeDefined();
        if (err) {
          expect(err.code).toBe(ErrorCode.StreamCut);
          expect(err.retryable).toBe(true);
          await expect(stopped).resolves.toBe('cut');
          // the client reconnects; subscribing again starts a new stream from its beginning
          await waitFor(c.state$, (st) => st.open);
          await expect(lastValueFrom(c.stream$(['rows/ticks', null]).pipe(take(3), toArray()))).resolves.toEqual([0, 1, 2]);
          expect(served).toBe(2);
        }
      } finally {
        c.disconnect();
      }
    } finally {
      await proxy.close();
    }
  }, 20_000);

  it('the server closing the connection mid-stream (disconnect(uid)) cuts the stream and stops its source', async () => {
    await server();
    s.chsk.events$.pipe(ofEvent('rows/ticks')).subscribe((m) => m.reply?.stream(interval(2).pipe(finalize(() => finalised.next('closed')))));
    const c = await s.connected({ params: { uid: 'u' } });
    const stopped = firstValueFrom(finalised);
    const got: number[] = [];
    const err = await new Promise<StreamCutError>((resolve) =>
      c.stream$(['rows/ticks', null]).subscribe({
        next: (v) => {
          got.push(v);
          if (v === 3) void s.chsk.disconnect('u');
        },
        error: resolve,
      }),
    );
    expect(err.code).toBe(ErrorCode.StreamCut);
    expect(got.slice(0, 4)).toEqual([0, 1, 2, 3]);
    await expect(stopped).resolves.toBe('closed');
  }, 20_000);
});

describe('a cancel that overtakes its request (async schemas)', () => {
  it('a request still being validated when its cancel arrives never reaches a handler (its stream would run for nobody)', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: async (v: unknown) => (await gate, { value: v }),
      },
    };
    const s = await startServer<Streams>({ schemas: { 'rows/ticks': { data: slow } } }, { client: { type: 'ws' } });
    try {
      const seen: string[] = [];
      s.chsk.events$.subscribe((m) => {
        if (!m.id.startsWith('chsk/')) seen.push(m.id);
        if (m.id === 'rows/ticks') m.reply?.stream(interval(5));
        if (m.id === 'rows/all') (m.reply as unknown as ((v: unknown) => void) | undefined)?.(0);
      });
      const c = await s.connected();
      const sub = c.stream$(['rows/ticks', null]).subscribe();
      // the request is written at once and waits for its validator; the cancel follows it
      sub.unsubscribe();
      // a topic join is answered at once (no authorizeTopic: refused), after the cancel was handled
      await expect(firstValueFrom(c.topic$('probe'))).rejects.toMatchObject({ code: ErrorCode.TopicRefused });
      release();
      // a request behind it is answered once the stream's request has left the validation queue
      await firstValueFrom((c as unknown as ChannelSocketClient).send(['rows/all', { n: 0 }]));
      expect(seen).toEqual(['rows/all']);
    } finally {
      await s.stop();
    }
  });
});
