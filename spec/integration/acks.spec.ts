/**
 * Emit acknowledgements and attributable refusals (PROTOCOL.md, "`a`: acknowledgement"), and the rate limit
 * stated in the handshake, over both transports and both packers, with frames sent by hand.
 */
import WebSocket from 'ws';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { msgpackPacker } from '../../src/packers/msgpack';
import type { Packer } from '../../src/packers/Packer';
import { ErrorCode } from '../../src/protocol/codes';
import type { HandshakeMessage, ServerBatchable, ServerMessage } from '../../src/protocol/messages';
import { rawHandshake } from '../support/ajaxRaw';
import { WAIT_MS } from '../support/harness';
import { decode, startSecurityServer, type SecurityServer } from '../security/support';
import { TRANSPORTS } from '../security/transports';

const PACKERS: readonly Packer[] = [jsonPacker, msgpackPacker];
const MATRIX = TRANSPORTS.flatMap(({ name, transport }) => PACKERS.map((packer) => ({ name, transport, packer, packerName: packer.name })));

/** Every answer, batches flattened, as compact tuples. */
function flat(ms: readonly ServerMessage[]): unknown[] {
  const out: unknown[] = [];
  const one = (m: ServerBatchable | ServerMessage): void => {
    if (m.t === 'b') return void (m.ms as ServerBatchable[]).forEach(one);
    if (m.t === 'a') out.push({ a: m.mid });
    else if (m.t === 'x') out.push({ x: m.code, ...(m.rid !== undefined ? { rid: m.rid } : {}), ...(m.mid !== undefined ? { mid: m.mid } : {}) });
    else if (m.t === 'r') out.push({ r: m.rid });
  };
  ms.forEach(one);
  return out;
}

describe.each(MATRIX)('$name / $packerName', ({ transport, packer }) => {
  let s: SecurityServer;
  afterEach(async () => {
    await s.stop();
  });

  it('acknowledges an accepted emit with its mid, after events$ has it; none without a mid', async () => {
    s = await startSecurityServer(packer);
    const seen: unknown[] = [];
    s.chsk.events$.subscribe((m) => !m.id.startsWith('chsk/') && seen.push(m.data));
    const conn = await transport.connect(s);
    const p = (m: unknown) => packer.pack(m);
    await conn.send([p({ t: 'e', ev: ['test/a', 1], mid: 1 }), p({ t: 'e', ev: ['test/b', 2] }), p({ t: 'q', rid: 9, mid: 2, ev: ['test/echo', 3] })]);
    await conn.until(() => flat(conn.received()).length >= 2);
    expect(flat(conn.received())).toEqual([{ a: 1 }, { r: 9 }]);
    expect(seen).toEqual([1, 2, 3]);
    conn.close();
  });

  it('quotes the mid (and rid) in every refusal: reserved id, bad data, duplicate rid, batch member, rate limit', async () => {
    s = await startSecurityServer(packer, { rateLimit: { perSecond: 0.001, burst: 3 } });
    const conn = await transport.connect(s);
    const p = (m: unknown) => packer.pack(m);
    await conn.send([
      p({ t: 'e', ev: ['chsk/x'], mid: 1 }),
      p({ t: 'q', rid: 2, mid: 2, ev: ['chsk/y'] }),
      p({ t: 'e', ev: ['a/b', 1, 2], mid: 3 }),
      p({ t: 'q', rid: 'x', mid: 4, ev: ['test/echo'] }),
      p({ t: 'q', rid: 5, mid: 5, ev: ['test/never'] }),
      p({ t: 'q', rid: 5, mid: 6, ev: ['test/never'] }),
      p({ t: 'b', ms: [{ t: 'e', ev: ['chsk/z'], mid: 10 }, { t: 'e', ev: ['test/late'], mid: 7 }] }),
      p({ t: 'e', ev: ['test/late'], mid: 8 }),
      p({ t: 'e', ev: ['test/late'], mid: 'no' }),
    ]);
    await conn.until(() => flat(conn.received()).length >= 9);
    expect(flat(conn.received())).toEqual([
      { x: ErrorCode.ReservedId, mid: 1 },
      { x: ErrorCode.ReservedId, rid: 2, mid: 2 },
      { x: ErrorCode.BadMessage, mid: 3 },
      { x: ErrorCode.BadMessage, mid: 4 },
      { x: ErrorCode.DuplicateReplyId, rid: 5, mid: 6 },
      { x: ErrorCode.ReservedId, mid: 10 },
      { a: 7 },
      { x: ErrorCode.RateLimited, mid: 8 },
      { x: ErrorCode.BadMessage },
    ]);
    conn.close();
  });

  it('acknowledges the emits of one incoming batch in one frame', async () => {
    s = await startSecurityServer(packer);
    const conn = await transport.connect(s);
    const ms = Array.from({ length: 50 }, (_, i) => ({ t: 'e', ev: ['test/a', i], mid: i + 1 }));
    await conn.send([packer.pack({ t: 'b', ms })]);
    await conn.until(() => flat(conn.received()).length >= 50);
    expect(flat(conn.received())).toEqual(ms.map((m) => ({ a: m.mid })));
    expect(conn.received()).toHaveLength(1);
    conn.close();
  });

  it('states the rate limit in the handshake (rl), and nothing when there is none', async () => {
    const handshake = async (): Promise<HandshakeMessage> => {
      if (transport.name === 'ajax') return (await rawHandshake(s.url, { packer })).messages[0] as HandshakeMessage;
      const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}?v=1&cid=rl-probe`, ['sente-rx.v1']);
      try {
        return await new Promise<HandshakeMessage>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no handshake')), WAIT_MS);
          ws.on('message', (data, isBinary) => {
            clearTimeout(t);
            const buf = Buffer.from(data as Buffer);
            resolve(decode(packer, isBinary ? new Uint8Array(buf) : buf.toString('utf8')) as HandshakeMessage);
          });
        });
      } finally {
        ws.terminate();
      }
    };
    s = await startSecurityServer(packer, { rateLimit: { perSecond: 50, burst: 80 } });
    expect((await handshake()).rl).toEqual({ r: 50, b: 80 });
    await s.stop();
    s = await startSecurityServer(packer);
    expect((await handshake()).rl).toEqual({ r: 200, b: 400 });
    await s.stop();
    s = await startSecurityServer(packer, { rateLimit: false });
    expect((await handshake()).rl).toBeUndefined();
  });
});
