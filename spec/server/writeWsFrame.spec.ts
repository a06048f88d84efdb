import * as wsModule from 'ws';
import { firstValueFrom, take, takeWhile, toArray } from 'rxjs';
import { encodeWsFrame } from '../../src/server/writeWsFrame';
import { msgpackPacker } from '../../src/packers/msgpack';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { startServer, type TestServer } from '../support/harness';

/** ws's frame parser (exported by `ws`, without published types): the part this test uses. */
interface FrameParser {
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  write(bytes: Buffer): void;
}
const { Receiver } = wsModule as unknown as { Receiver: new (o: object) => FrameParser };

/** Decodes server→client frames with ws's own (client-side) parser: an independent reading of RFC 6455. */
function decode(bytes: Buffer): Array<{ data: Buffer; isBinary: boolean }> {
  const out: Array<{ data: Buffer; isBinary: boolean }> = [];
  const r = new Receiver({ isServer: false, binaryType: 'nodebuffer', allowSynchronousEvents: true });
  r.on('message', (data: Buffer, isBinary: boolean) => out.push({ data, isBinary }));
  r.on('error', (e: Error) => {
    throw e;
  });
  r.write(bytes);
  return out;
}

// Every length-encoding boundary: 7-bit, 16-bit, 64-bit.
const LENGTHS = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000];

describe('encodeWsFrame', () => {
  test.each(LENGTHS)('a %i-byte text frame decodes to the same text', (n) => {
    const text = 'x'.repeat(n);
    expect(decode(encodeWsFrame(text))).toEqual([{ data: Buffer.from(text), isBinary: false }]);
  });

  test.each(LENGTHS)('a %i-byte binary frame decodes to the same bytes', (n) => {
    const bytes = Uint8Array.from({ length: n }, (_, i) => i % 251);
    expect(decode(encodeWsFrame(bytes))).toEqual([{ data: Buffer.from(bytes), isBinary: true }]);
  });

  test('the length is counted in UTF-8 bytes, not characters', () => {
    const text = 'é€😀'.repeat(40); // 160 characters, 360 bytes: 16-bit length
    const frame = encodeWsFrame(text);
    expect(frame[1]).toBe(126);
    expect(frame.readUInt16BE(2)).toBe(Buffer.byteLength(text));
    expect(decode(frame)[0]!.data.toString('utf8')).toBe(text);
  });
});

describe.each([jsonPacker, msgpackPacker])('frames written straight to the socket, with $name', (packer) => {
  let s: TestServer<Record<string, { data: unknown; reply: unknown }>>;
  beforeEach(async () => {
    s = await startServer({ packer, wsBatchMs: 0 }, { client: { type: 'ws' } });
    s.chsk.events$.subscribe((m) => {
      if (m.id === 'test/size') m.reply?.({ s: 'é'.repeat(m.data as number) });
      if (m.id === 'test/mixed') {
        // In one tick: a broadcast, a push to one uid, a reply and the same broadcast again. Each connection
        // must see exactly its own frames, in this order.
        s.chsk.broadcast(['test/all', 1]);
        s.chsk.send('ann', ['test/ann', 2]);
        m.reply?.('ok');
        s.chsk.broadcast(['test/all', 1]);
      }
    });
  });
  afterEach(() => s.stop());

  test('replies of every size around the copy limit and the length boundaries arrive intact', async () => {
    const c = await s.connected();
    for (const n of [0, 60, 62, 63, 8_191, 8_192, 8_193, 16_384, 32_767, 32_768, 40_000]) {
      await expect(firstValueFrom(c.send(['test/size', n]))).resolves.toEqual({ s: 'é'.repeat(n) });
    }
  });

  test('broadcasts, per-uid pushes and replies written in one tick reach each client in order', async () => {
    const ann = await s.connected({ params: { uid: 'ann' } });
    const bob = await s.connected({ params: { uid: 'bob' } });
    const annGot = firstValueFrom(ann.events$.pipe(take(3), toArray()));
    // Everything bob gets up to an end marker: the marker shows nothing else arrived in between.
    const bobGot = firstValueFrom(bob.events$.pipe(takeWhile(([id]) => id !== 'test/end', true), toArray()));
    await expect(firstValueFrom(ann.send(['test/mixed', null]))).resolves.toBe('ok');
    await expect(annGot).resolves.toEqual([
      ['test/all', 1],
      ['test/ann', 2],
      ['test/all', 1],
    ]);
    s.chsk.send('bob', ['test/end', null]);
    await expect(bobGot).resolves.toEqual([
      ['test/all', 1],
      ['test/all', 1],
      ['test/end', null],
    ]);
  });
});
