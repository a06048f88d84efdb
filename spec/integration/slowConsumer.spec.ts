import { firstValueFrom } from 'rxjs';
import { ErrorCode } from '../../src';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { startServer, waitFor } from '../support/harness';
import { rawClient } from '../support/rawClient';

// A client that stops reading: the server's socket buffer grows until maxBufferedBytes, then the policy acts.
// The raw client pauses its TCP socket, so the kernel buffers fill and `ws.bufferedAmount` grows for real.
const payload = 'x'.repeat(16 * 1024);

describe('slow consumers', () => {
  test("'close' (default): the slow client is closed with 1013 and reported; others go on", async () => {
    const s = await startServer({ maxBufferedBytes: 256 * 1024, wsBatchMs: 0 });
    try {
      s.chsk.events$.subscribe((m) => m.id === 'echo/n' && m.reply?.(m.data));
      const good = await s.connected({ params: { uid: 'good' }, keepAlive: false });
      const slow = await rawClient(s.url, jsonPacker, 'cid=slow&uid=slow');
      await slow.next((m) => m.t === 'hs');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const reported = waitFor(s.chsk.errors$, (e) => e.code === ErrorCode.SlowConsumer);
      // Push until the server gives up on it (bounded: 4,000 × 16 KiB = 64 MiB at most).
      for (let i = 0; i < 4000 && s.chsk.connectedUids$.value.ws.has('slow'); i++) {
        if (s.chsk.send('slow', ['big/blob', payload]) === 0) break;
        if (i % 50 === 49) await new Promise((r) => setImmediate(r));
      }
      await expect(reported).resolves.toMatchObject({ code: ErrorCode.SlowConsumer, clientId: 'slow' });
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      await expect(slow.closed).resolves.toBe(1013);
      await expect(firstValueFrom(good.send(['echo/n', 1]))).resolves.toBe(1);
    } finally {
      await s.stop();
    }
  });

  test("'drop': frames are dropped while the client is over the bound, reported once, and the link stays open", async () => {
    const s = await startServer({ maxBufferedBytes: 256 * 1024, slowConsumer: 'drop', wsBatchMs: 0, keepAlive: false });
    try {
      const reports: string[] = [];
      s.chsk.errors$.subscribe((e) => reports.push(e.code));
      const slow = await rawClient(s.url, jsonPacker, 'cid=slow2&uid=slow2');
      await slow.next((m) => m.t === 'hs');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      let sent = 0;
      for (let i = 0; i < 4000 && reports.length === 0; i++) {
        s.chsk.send('slow2', ['big/blob', payload]);
        sent++;
        if (i % 50 === 49) await new Promise((r) => setImmediate(r));
      }
      expect(reports).toEqual([ErrorCode.SlowConsumer]);
      // Keep pushing while over the bound: dropped, not reported again.
      for (let i = 0; i < 100; i++) s.chsk.send('slow2', ['big/blob', payload]);
      expect(reports).toEqual([ErrorCode.SlowConsumer]);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      // Once drained, pushes flow again: keep offering a marker until one arrives (bounded), then check that
      // fewer blobs arrived than were pushed (the dropped ones) and that the link never closed.
      let blobs = 0;
      let marked = false;
      slow.messages$.subscribe((m) => {
        const id = m.t === 'e' ? (m.ev as unknown[])[0] : undefined;
        if (id === 'big/blob') blobs++;
        if (id === 'mark/er') marked = true;
      });
      for (let i = 0; i < 2000 && !marked; i++) {
        s.chsk.send('slow2', ['mark/er', i]);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(marked).toBe(true);
      expect(blobs).toBeLessThan(sent + 100);
      expect(slow.ws.readyState).toBe(1);
      slow.ws.close();
    } finally {
      await s.stop();
    }
  });
});
