/**
 * A server with Zod schemas under raw frames (no sente-rx client in the way) over both transports and both
 * packers: malformed data is refused with CHSK_BAD_DATA (an emit's refusal carries no rid, a request's its rid)
 * before the handler sees it, the issues on the wire are bounded, nothing is polluted, and the server goes on.
 */
import { z } from 'zod';
import { ErrorCode, MAX_ISSUE_MESSAGE, MAX_ISSUES } from '../../src';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { msgpackPacker } from '../../src/packers/msgpack';
import type { ErrorMessage, ServerMessage } from '../../src/protocol/messages';
import { prototypeSnapshot, startSecurityServer, type SecurityServer } from '../security/support';
import { TRANSPORTS } from '../security/transports';

const schemas = {
  'chat/send': { data: z.object({ text: z.string() }), reply: z.object({ ok: z.boolean() }) },
  'chat/list': { data: z.array(z.object({ n: z.number() })).max(10_000) },
};

const flat = (ms: readonly ServerMessage[]): ServerMessage[] => ms.flatMap((m) => (m.t === 'b' ? (m.ms as ServerMessage[]) : [m]));

describe.each(TRANSPORTS.flatMap(({ name, transport }) => [jsonPacker, msgpackPacker].map((packer) => ({ name, transport, packer }))))(
  'over $name with $packer.name',
  ({ transport, packer }) => {
    let s: SecurityServer;
    let seen: unknown[];
    beforeEach(async () => {
      s = await startSecurityServer(packer, { schemas });
      seen = [];
      s.chsk.events$.subscribe((m) => void (m.id.startsWith('chsk/') || seen.push(m.data)));
    });
    afterEach(() => s.stop());

    test('malformed emits and requests are refused with CHSK_BAD_DATA; valid ones reach the handler', async () => {
      const before = prototypeSnapshot();
      const conn = await transport.connect(s);
      const many = Array.from({ length: 2000 }, () => ({ n: 'x'.repeat(100) }));
      await conn.send([
        packer.pack({ t: 'e', ev: ['chat/send', { text: 1 }], mid: 5 }),
        packer.pack({ t: 'e', ev: ['chat/send', { text: 'ok' }], mid: 6 }),
        packer.pack({ t: 'q', ev: ['chat/send', { text: ['a'], extra: { deep: [1, 2, 3] } }], rid: 1 }),
        packer.pack({ t: 'q', ev: ['chat/list', many], rid: 2 }),
        packer.pack({ t: 'e', ev: ['chat/send'] }),
        packer.pack({ t: 'q', ev: ['chat/send', { text: 'fine' }], rid: 3 }),
      ]);
      await conn.until(() => flat(conn.received()).some((m) => m.t === 'r' && m.rid === 3));
      const got = flat(conn.received());
      const errors = got.filter((m): m is ErrorMessage => m.t === 'x');
      expect(errors.map((x) => [x.code, x.rid, x.mid])).toEqual([
        [ErrorCode.BadData, undefined, 5],
        [ErrorCode.BadData, 1, undefined],
        [ErrorCode.BadData, 2, undefined],
        [ErrorCode.BadData, undefined, undefined],
      ]);
      // The refused emit gets no ack; the valid one does.
      expect(got.filter((m) => m.t === 'a').map((m) => (m as { mid: number }).mid)).toEqual([6]);
      expect(errors[0]!.issues).toEqual([expect.objectContaining({ path: ['text'] })]);
      const big = errors[2]!;
      expect(big.issues!.length).toBeLessThanOrEqual(MAX_ISSUES);
      for (const i of big.issues!) expect(i.message.length).toBeLessThanOrEqual(MAX_ISSUE_MESSAGE);
      expect(big.msg.length).toBeLessThanOrEqual(500);
      expect(seen).toEqual([{ text: 'ok' }, { text: 'fine' }]);
      expect(s.reports.filter((r) => r.code === ErrorCode.BadData)).toHaveLength(4);
      expect(prototypeSnapshot()).toEqual(before);
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      expect(conn.closeCode()).toBeUndefined();
      conn.close();
    });
  },
);
