/**
 * A message over `maxFrameBytes` is reported on errors$ as CHSK_TOO_LARGE over both transports (ws used to
 * report its maxPayload overflow as CHSK_BAD_FRAME, and an Ajax body over the limit was refused 413 without a
 * report), and the server keeps serving.
 */
import WebSocket from 'ws';
import { firstValueFrom } from 'rxjs';
import { rawHandshake, rawPost } from '../support/ajaxRaw';
import { eventually, withServer } from './support';

const LIMIT = 2000;

describe('a message over maxFrameBytes is reported as CHSK_TOO_LARGE', () => {
  it('ws: closes 1009 and reports CHSK_TOO_LARGE, not CHSK_BAD_FRAME', async () => {
    await withServer({ maxFrameBytes: LIMIT }, async (s) => {
      const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}?v=1&cid=big`, ['sente-rx.v1']);
      await new Promise((r) => ws.once('message', r));
      const closed = new Promise<number>((r) => ws.once('close', r));
      ws.send(JSON.stringify({ t: 'e', mid: 1, ev: ['test/echo', 'a'.repeat(LIMIT)] }));
      expect(await closed).toBe(1009);
      await eventually(() => s.reports.length > 0, 'a report');
      expect(s.reports.map((r) => r.code)).toEqual(['CHSK_TOO_LARGE']);
      expect(s.reports[0]!.message).toMatch(/maxFrameBytes \(2000\)/);
      const c = await s.connected({ type: 'ws' });
      await expect(firstValueFrom(c.send(['test/echo', 'ok']))).resolves.toBe('ok');
    });
  });

  it('ws: invalid UTF-8 is still CHSK_BAD_FRAME', async () => {
    await withServer({}, async (s) => {
      const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}?v=1&cid=utf`, ['sente-rx.v1']);
      await new Promise((r) => ws.once('message', r));
      const closed = new Promise<number>((r) => ws.once('close', r));
      ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
      expect(await closed).toBe(1007);
      await eventually(() => s.reports.length > 0, 'a report');
      expect(s.reports.map((r) => r.code)).toEqual(['CHSK_BAD_FRAME']);
    });
  });

  it('ajax: a POST body over the limit is refused 413 CHSK_TOO_LARGE and reported', async () => {
    await withServer({ maxFrameBytes: LIMIT }, async (s) => {
      const conn = await rawHandshake(s.url);
      const a = await rawPost(s.url, conn, [], { body: 'a'.repeat(LIMIT + 100) });
      expect([a.status, a.json?.code]).toEqual([413, 'CHSK_TOO_LARGE']);
      await eventually(() => s.reports.length > 0, 'a report');
      expect(s.reports.map((r) => r.code)).toEqual(['CHSK_TOO_LARGE']);
      expect(s.reports[0]!.clientId).toBe(conn.cid);
      const c = await s.connected({ type: 'ajax' });
      await expect(firstValueFrom(c.send(['test/echo', 'ok']))).resolves.toBe('ok');
    });
  });
});
