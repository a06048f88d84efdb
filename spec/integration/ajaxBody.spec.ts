import { connect } from 'net';
import { encodeBody, TEXT_BODY_TYPE } from '../../src/protocol/ajax';
import type { ServerErrorReport } from '../../src/server';
import { rawHandshake, rawPost } from '../support/ajaxRaw';
import { startServer } from '../support/harness';

// Issue 10 #16: an Ajax POST body had no deadline (Node's own 300 s request timeout) and was kept as one
// Buffer per chunk, so a body trickled one byte per segment cost ~120x its size for as long as the client liked.
describe('Ajax POST bodies', () => {
  test('a body not complete within postTimeoutMs is answered 408 CHSK_BODY_TIMEOUT, reported, and its connection closed', async () => {
    const s = await startServer({ postTimeoutMs: 300 });
    const reports: ServerErrorReport[] = [];
    s.chsk.errors$.subscribe((e) => reports.push(e));
    try {
      const conn = await rawHandshake(s.url, { cid: 'slowpost' });
      const u = new URL(s.url);
      const sock = connect(Number(u.port), u.hostname);
      let answer = '';
      sock.on('data', (d) => (answer += d.toString()));
      const closed = new Promise((r) => sock.on('close', r));
      sock.write(
        `POST ${u.pathname}?cid=slowpost HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: ${TEXT_BODY_TYPE}\r\n` +
          `x-chsk-token: ${conn.token}\r\nContent-Length: 100\r\n\r\n0123456789`,
      );
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(answer).toContain('CHSK_BODY_TIMEOUT');
      expect(reports).toEqual([expect.objectContaining({ code: 'CHSK_BODY_TIMEOUT', clientId: 'slowpost' })]);
    } finally {
      await s.stop();
    }
  }, 10_000);

  test('a body that arrives in many small chunks (no content-length) is read whole and in order', async () => {
    const s = await startServer({});
    try {
      const got: unknown[] = [];
      s.chsk.events$.subscribe((m) => m.id === 'x/n' && got.push(m.data));
      const conn = await rawHandshake(s.url, { cid: 'chunky' });
      const frames = Array.from({ length: 300 }, (_, i) => JSON.stringify({ t: 'e', ev: ['x/n', { i, pad: 'p'.repeat(100) }] }));
      const bytes = new TextEncoder().encode(encodeBody(frames, false) as string);
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
          c.close();
        },
      });
      const a = await rawPost(s.url, conn, [], { body });
      expect(a.status).toBe(204); // answered once every frame was handed to the core
      expect(got.map((d) => (d as { i: number }).i)).toEqual(frames.map((_, i) => i));
    } finally {
      await s.stop();
    }
  });
});
