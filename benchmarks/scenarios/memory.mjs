// Memory per idle connection, in the server process. A warm-up client connects, makes one request and
// leaves (so lazily loaded code and JIT state are in the baseline); the server then waits for 0 connections,
// runs global.gc() and records heapUsed and rss. params.connections clients connect (at most 100 handshakes
// in flight, each with its own uid) and stay idle; the server waits until it holds them all, gc again, and
// reports (now − baseline) / connections for heapUsed and rss.
import { EV, payload } from '../lib/payload.mjs';
import { pool } from '../lib/limits.mjs';

export async function run(lib, p, ctx) {
  const deadline = Date.now() + p.budgetMs - 5000;
  const warm = await lib.connect({ port: p.port, uid: 'warm', transport: p.transport });
  await warm.request(EV.echo, payload(0));
  warm.close();
  await ctx.ask({ type: 'baseline', settleMs: p.settleMs });
  const clients = [];
  await pool(p.connections, 100, async (i) => void clients.push(await lib.connect({ port: p.port, uid: `u${i}`, transport: p.transport })), deadline);
  const m = await ctx.ask({ type: 'measure', expect: p.connections, settleMs: p.settleMs }, 'measured');
  for (const c of clients) c.close();
  if (m.connections < p.connections) throw new Error(`server saw ${m.connections} of ${p.connections} connections`);
  return { heapPerConn: m.heapPerConn, rssPerConn: m.rssPerConn, externalPerConn: m.externalPerConn };
}
