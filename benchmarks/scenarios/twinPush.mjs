// Push throughput with a server option on and off, side by side (the push-resume row). The server process runs
// two sente-rx servers (server.mjs's twin): the first with the row's options (resume on: the default), the twin
// with one option changed (resume: false). One client on each, each with its own uid; after a warm-up on each
// and one untimed quarter on each, four alternating quarters of n/4 pushes (on, off, on, off; off first on even
// runs), each timed on its own from its trigger to its last event, so drift in the machine's load hits both
// alike. Per side: events/s over its two quarters and server CPU per event; `ratio` is on ÷ off.
import { EV } from '../lib/payload.mjs';
import { within } from '../lib/limits.mjs';

function pushOnce(c, n, ms) {
  let got = 0;
  let disorder = 0;
  const t0 = process.hrtime.bigint();
  const done = new Promise((resolve) => {
    c.on(EV.ev, (d) => {
      if (d.n !== got) disorder++;
      if (++got === n) resolve(process.hrtime.bigint() - t0);
    });
  });
  c.emit(EV.push, { n });
  return within(done, ms, `push of ${n} (received ${got})`).then((ns) => ({ secs: Number(ns) / 1e9, disorder: disorder + n - got }));
}

export async function run(lib, p, ctx) {
  const deadline = Date.now() + p.budgetMs - 1000;
  const on = await lib.connect({ port: p.port, uid: 'u1', transport: p.transport });
  const off = await lib.connect({ port: p.port2, uid: 'u1', transport: p.transport });
  await pushOnce(on, p.warmup, deadline - Date.now());
  await pushOnce(off, p.warmup, deadline - Date.now());
  const quarter = Math.ceil(p.n / 4);
  // One untimed round of a quarter on each side first: the first timed quarter after the warm-ups cost up to
  // twice the others (JIT and GC debt), and it always fell to the side measured first.
  for (const c of [on, off]) await pushOnce(c, quarter, deadline - Date.now());
  // Which side goes first alternates between runs, so what is left of that effect does not favour one side.
  const order = (p.run ?? 1) % 2 === 1 ? [on, off, on, off] : [off, on, off, on];
  const acc = new Map([[on, { secs: 0, us: 0, n: 0 }], [off, { secs: 0, us: 0, n: 0 }]]);
  let disorder = 0;
  for (const c of order) {
    const a = await ctx.cpu();
    const r = await pushOnce(c, quarter, deadline - Date.now());
    const b = await ctx.cpu();
    const x = acc.get(c);
    x.secs += r.secs;
    x.us += ctx.cpuShare(a, b, quarter).serverUsPerOp * quarter;
    x.n += quarter;
    disorder += r.disorder;
  }
  on.close();
  off.close();
  const [a, b] = [acc.get(on), acc.get(off)];
  return {
    eventsPerSec: a.n / a.secs,
    eventsPerSecOff: b.n / b.secs,
    ratio: a.n / a.secs / (b.n / b.secs),
    // What a server bound by its CPU keeps of its throughput: off ÷ on of the server CPU per event. It moves
    // much less than `ratio` when other processes share the machine.
    cpuRatio: b.us / b.n / (a.us / a.n),
    serverUsPerEvent: a.us / a.n,
    serverUsPerEventOff: b.us / b.n,
    disorder,
  };
}
