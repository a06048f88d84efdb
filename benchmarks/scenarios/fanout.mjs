// Fan-out. params.clients clients connect (at most 100 handshakes in flight; each with its own uid), then
// client 0 asks the server (bench/fanout { n: k }) to broadcast one event to every client, and the time from
// that trigger until the last client has event k is measured in this process (process.hrtime.bigint()).
// Two warm-up rounds, then params.rounds rounds (15 in a full run); the result is the median round. Note that the load generator
// receives all the copies, so the time includes the client library's cost per event on one core.
// Rounds start params.gapMs (100) apart, for every library: each round is one isolated broadcast, as the issue
// asks. Back to back, a round would start inside the batch window the previous broadcast opened (sente-rx's
// leading-edge batching, wsBatchMs 30 by default) and wait for it to close: that is batching doing its job on a
// stream of broadcasts, not the cost of one.
import { EV } from '../lib/payload.mjs';
import { pool, sleep, within } from '../lib/limits.mjs';
import { median } from '../lib/stats.mjs';

export async function run(lib, p, ctx) {
  const deadline = Date.now() + p.budgetMs - 1000;
  const clients = [];
  const tc = process.hrtime.bigint();
  await pool(p.clients, 100, async (i) => void clients.push(await lib.connect({ port: p.port, uid: `u${i}`, transport: p.transport })), deadline);
  const connectMs = Number(process.hrtime.bigint() - tc) / 1e6;
  let k = -1;
  let got = 0;
  let onAll = () => undefined;
  for (const c of clients) c.on(EV.fan, (d) => d.n === k && ++got === clients.length && onAll());
  const round = async (n) => {
    await sleep(p.gapMs ?? 0);
    k = n;
    got = 0;
    const all = new Promise((resolve) => (onAll = resolve));
    const t0 = process.hrtime.bigint();
    clients[0].emit(EV.fanout, { n, text: 'hello world' });
    await within(all, Math.max(1, deadline - Date.now()), `fan-out round ${n} (${got} of ${clients.length})`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  await round(0);
  await round(1);
  const times = [];
  const a = await ctx.cpu();
  for (let r = 0; r < p.rounds; r++) times.push(await round(2 + r));
  const b = await ctx.cpu();
  for (const c of clients) c.close();
  return { ms: median(times), rounds: times.map((t) => +t.toFixed(2)), connectMs, cpu: ctx.cpuShare(a, b) };
}
