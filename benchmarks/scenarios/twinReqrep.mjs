// Request/reply throughput with a server option on and off, side by side (the reqrep-dedupe row). The server
// process runs two sente-rx servers (server.mjs's twin): the first with the row's options (dedupe on: the
// default), the twin with one option changed (dedupe: false). One client on each; after a warm-up on each and
// one untimed quarter on each, four alternating quarters of n/4 echo requests with `concurrency` in flight (on,
// off, on, off; off first on even runs), so drift in the machine's load hits both alike. Per side: requests/s and server CPU per request; `ratio` is on ÷ off.
// Replies are checked (n echoed back).
import { EV, payload } from '../lib/payload.mjs';
import { pool } from '../lib/limits.mjs';

async function load(c, n, concurrency, deadline) {
  let wrong = 0;
  await pool(
    n,
    concurrency,
    async (i) => {
      const r = await c.request(EV.echo, payload(i));
      if (!r || r.n !== i) wrong++;
    },
    deadline,
  );
  return wrong;
}

export async function run(lib, p, ctx) {
  const deadline = Date.now() + p.budgetMs - 1000;
  const on = await lib.connect({ port: p.port, uid: 'u1', transport: p.transport });
  const off = await lib.connect({ port: p.port2, uid: 'u1', transport: p.transport });
  await load(on, p.warmup, p.concurrency, deadline);
  await load(off, p.warmup, p.concurrency, deadline);
  const quarter = Math.ceil(p.n / 4);
  // One untimed round of a quarter on each side first: the first timed quarter after the warm-ups cost up to
  // twice the others (JIT and GC debt), and it always fell to the side measured first.
  for (const c of [on, off]) await load(c, quarter, p.concurrency, deadline);
  // Which side goes first alternates between runs, so what is left of that effect does not favour one side.
  const order = (p.run ?? 1) % 2 === 1 ? [on, off, on, off] : [off, on, off, on];
  const acc = new Map([[on, { secs: 0, us: 0, n: 0 }], [off, { secs: 0, us: 0, n: 0 }]]);
  let wrong = 0;
  for (const c of order) {
    const a = await ctx.cpu();
    const t0 = process.hrtime.bigint();
    wrong += await load(c, quarter, p.concurrency, deadline);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const b = await ctx.cpu();
    const x = acc.get(c);
    x.secs += secs;
    x.us += ctx.cpuShare(a, b, quarter).serverUsPerOp * quarter;
    x.n += quarter;
  }
  on.close();
  off.close();
  const [a, b] = [acc.get(on), acc.get(off)];
  return {
    rps: a.n / a.secs,
    rpsOff: b.n / b.secs,
    ratio: a.n / a.secs / (b.n / b.secs),
    // What a server bound by its CPU keeps of its throughput: off ÷ on of the server CPU per request. It moves
    // much less than `ratio` when other processes share the machine.
    cpuRatio: b.us / b.n / (a.us / a.n),
    serverUsPerReq: a.us / a.n,
    serverUsPerReqOff: b.us / b.n,
    wrong,
  };
}
