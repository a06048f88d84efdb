// Request/reply without and with a Zod schema on the server (the reqrep-zod row). One client, one connection,
// `concurrency` requests in flight; four alternating quarters of n/4 requests each: bench/echo (no schema),
// bench/echo-zod (Zod checks the data), bench/echo, bench/echo-zod, so drift in the machine's load hits both
// alike. Per kind: requests per second and server CPU per request. Replies are checked (n echoed back).
import { EV, payload } from '../lib/payload.mjs';
import { pool } from '../lib/limits.mjs';

async function load(c, ev, n, concurrency, deadline) {
  let wrong = 0;
  await pool(
    n,
    concurrency,
    async (i) => {
      const r = await c.request(ev, payload(i));
      if (!r || r.n !== i) wrong++;
    },
    deadline,
  );
  return wrong;
}

export async function run(lib, p, ctx) {
  const c = await lib.connect({ port: p.port, uid: 'u1', transport: p.transport });
  const deadline = Date.now() + p.budgetMs - 1000;
  await load(c, EV.echo, p.warmup, p.concurrency, deadline);
  await load(c, EV.echoZod, p.warmup, p.concurrency, deadline);
  const quarter = Math.ceil(p.n / 4);
  const acc = { [EV.echo]: { secs: 0, us: 0, n: 0 }, [EV.echoZod]: { secs: 0, us: 0, n: 0 } };
  let wrong = 0;
  for (const ev of [EV.echo, EV.echoZod, EV.echo, EV.echoZod]) {
    const a = await ctx.cpu();
    const t0 = process.hrtime.bigint();
    wrong += await load(c, ev, quarter, p.concurrency, deadline);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const b = await ctx.cpu();
    const share = ctx.cpuShare(a, b, quarter);
    acc[ev].secs += secs;
    acc[ev].us += share.serverUsPerOp * quarter;
    acc[ev].n += quarter;
  }
  c.close();
  const plain = acc[EV.echo];
  const zod = acc[EV.echoZod];
  return {
    rps: plain.n / plain.secs,
    rpsZod: zod.n / zod.secs,
    serverUsPerReq: plain.us / plain.n,
    serverUsPerReqZod: zod.us / zod.n,
    wrong,
  };
}
