// Raw `ws` side of the load generator: the minimal hand-rolled client of the envelope in servers/ws.mjs,
// requests matched to replies by a reply-id Map of promise resolvers.
import WebSocket from 'ws';

export const stats = { frames: 0 };

export function supports(transport) {
  return transport === 'ws';
}

export function connect({ port, timeoutMs = 30_000 }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    const handlers = new Map();
    const pending = new Map();
    let rid = 0;
    const t = setTimeout(() => (ws.terminate(), reject(new Error('ws: connect timeout'))), timeoutMs);
    ws.on('error', (e) => (clearTimeout(t), reject(e)));
    ws.on('message', (raw) => {
      stats.frames++;
      const m = JSON.parse(raw);
      if (m.t === 'r') {
        const p = pending.get(m.rid);
        if (p) pending.delete(m.rid), p(m.d);
      } else if (m.t === 'e') handlers.get(m.ev[0])?.(m.ev[1]);
    });
    ws.on('open', () => {
      clearTimeout(t);
      resolve({
        on: (id, fn) => void handlers.set(id, fn),
        request: (id, data) =>
          new Promise((res) => {
            const r = ++rid;
            pending.set(r, res);
            ws.send(JSON.stringify({ t: 'q', rid: r, ev: [id, data] }));
          }),
        emit: (id, data) => ws.send(JSON.stringify({ t: 'e', ev: [id, data] })),
        close: () => ws.close(),
      });
    });
  });
}
