// Request/reply. One client keeps `concurrency` requests (bench/echo with { n, text }) in flight until n
// replies came back; the server replies with the data it got. Requests per second = n / elapsed; per-request
// latency from process.hrtime.bigint() before the call to the reply's arrival (p50, p99, nearest rank).
// A warm-up of params.warmup requests at the same concurrency runs first. Replies are checked (n echoed back).
import { EV, payload } from '../lib/payload.mjs';
import { pool } from '../lib/limits.mjs';
import { percentile } from '../lib/stats.mjs';

async function load(c, n, concurrency, lat, deadline) {
  let wrong = 0;
  await pool(
    n,
    concurrency,
    async (i) => {
      const t = process.hrtime.bigint();
      const r = await c.request(EV.echo, payload(i));
      if (lat) lat[i] = Number(process.hrtime.bigint() - t) / 1e6;
      if (!r || r.n !== i) wrong++;
    },
    deadline,
  );
  return wrong;
}

const cpuFields = (cpu) => ({ cpu, serverUsPerReq: cpu.serverUsPerOp, clientUsPerReq: cpu.loadgenUsPerOp });

export async function run(lib, p, ctx) {
  const c = await lib.connect({ port: p.port, uid: 'u1', transport: p.transport });
  const deadline = Date.now() + p.budgetMs - 1000;
  await load(c, p.warmup, p.concurrency, null, deadline);
  const lat = new Float64Array(p.n);
  const a = await ctx.cpu();
  const t0 = process.hrtime.bigint();
  const wrong = await load(c, p.n, p.concurrency, lat, deadline);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const b = await ctx.cpu();
  c.close();
  lat.sort();
  return {
    rps: p.n / secs,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    wrong,
    ...cpuFields(ctx.cpuShare(a, b, p.n)),
  };
}
