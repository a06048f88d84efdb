import { jsonPacker } from '../../src/packers/jsonPacker';
import { CloseCode } from '../../src/protocol/codes';
import { startServer } from '../support/harness';
import { rawClient, type RawClient } from '../support/rawClient';

// Issue 10 #15: PROTOCOL.md says any incoming frame counts as activity. A client that only sends WebSocket
// pings, or uploads one large message slowly in fragments, must not be closed with 4408. The raw client never
// answers the server's application pings, so only what it sends keeps it alive.
const keepAlive = { idleMs: 150, timeoutMs: 150 };

/** Does `step` every 30 ms (the client's traffic, real time) until `rounds` are done or the socket closed. */
async function trickle(c: RawClient, rounds: number, step: (i: number) => void): Promise<void> {
  for (let i = 0; i < rounds && c.ws.readyState === 1; i++) {
    step(i);
    await new Promise((r) => setTimeout(r, 30));
  }
}

describe('keep-alive counts every incoming frame', () => {
  test('control: a client that sends nothing is closed with 4408', async () => {
    const s = await startServer({ keepAlive });
    try {
      const c = await rawClient(s.url, jsonPacker, 'cid=mute&uid=mute');
      await expect(c.closed).resolves.toBe(CloseCode.KeepAliveTimeout);
    } finally {
      await s.stop();
    }
  });

  test('WebSocket pings alone keep a connection alive', async () => {
    const s = await startServer({ keepAlive });
    try {
      const c = await rawClient(s.url, jsonPacker, 'cid=pinger&uid=pinger');
      // 30 rounds of 30 ms: three times idle + timeout.
      await trickle(c, 30, () => c.ws.ping());
      expect(c.ws.readyState).toBe(1);
      c.ws.close();
    } finally {
      await s.stop();
    }
  });

  test('a message uploaded slowly in fragments keeps it alive and arrives whole', async () => {
    const s = await startServer({ keepAlive });
    try {
      s.chsk.events$.subscribe((m) => m.id === 'echo/len' && m.reply?.((m.data as string).length));
      const c = await rawClient(s.url, jsonPacker, 'cid=frag&uid=frag');
      const text = JSON.stringify({ t: 'q', rid: 1, ev: ['echo/len', 'z'.repeat(3000)] });
      const parts = 30;
      const size = Math.ceil(text.length / parts);
      await trickle(c, parts, (i) => c.ws.send(text.slice(i * size, (i + 1) * size), { fin: i === parts - 1 }));
      await expect(c.next((m) => m.t === 'r' && m.rid === 1)).resolves.toMatchObject({ d: 3000 });
      expect(c.ws.readyState).toBe(1);
      c.ws.close();
    } finally {
      await s.stop();
    }
  });
});
