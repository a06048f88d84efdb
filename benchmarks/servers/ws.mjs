// Raw `ws` side of the benchmark server: the ceiling. A minimal hand-rolled JSON envelope, the same shape
// as sente-rx's wire messages: push {t:'e', ev:[id, data]}, request {t:'q', rid, ev}, reply {t:'r', rid, d}.
// clientTracking is off and the upgrade request is dropped; the server keeps its own Set for broadcasts.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { EV, pushLoop } from '../lib/payload.mjs';

export async function start() {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, clientTracking: false, perMessageDeflate: false });
  const sockets = new Set();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (raw) => {
      const m = JSON.parse(raw);
      const [id, data] = m.ev;
      if (m.t === 'q' && id === EV.echo) return ws.send(JSON.stringify({ t: 'r', rid: m.rid, d: data }));
      if (id === EV.push) return pushLoop(data.n, (i) => ws.send(JSON.stringify({ t: 'e', ev: [EV.ev, { n: i, text: 'hello world' }] })));
      if (id === EV.fanout) {
        const frame = JSON.stringify({ t: 'e', ev: [EV.fan, data] });
        for (const s of sockets) s.send(frame);
      }
    });
  });
  return { http };
}
