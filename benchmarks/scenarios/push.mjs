// Server→client push throughput. One client asks the server (event bench/push { n }) to push n small
// events ({ n: i, text: 'hello world' }) to it; the server pushes them in slices of 1000 per event-loop
// turn. Throughput = n / (time from the trigger to the n-th event received), measured at the client with
// process.hrtime.bigint(), after a warm-up push of params.warmup events. Also reports lost/out-of-order
// events, frames received (fewer frames than events = batching worked) and both processes' CPU share.
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
  return within(done, ms, `push of ${n} (received ${got})`).then((ns) => ({ ns, disorder: disorder + n - got }));
}

const cpuFields = (cpu) => ({ cpu, serverUsPerEvent: cpu.serverUsPerOp, clientUsPerEvent: cpu.loadgenUsPerOp });

export async function run(lib, p, ctx) {
  const c = await lib.connect({ port: p.port, uid: 'u1', transport: p.transport, countFrames: true });
  const deadline = Date.now() + p.budgetMs - 1000;
  await pushOnce(c, p.warmup, deadline - Date.now());
  const frames0 = lib.stats.frames;
  const a = await ctx.cpu();
  const { ns, disorder } = await pushOnce(c, p.n, deadline - Date.now());
  const b = await ctx.cpu();
  const framesUsed = lib.stats.frames - frames0;
  c.close();
  return {
    eventsPerSec: p.n / (Number(ns) / 1e9),
    ms: Number(ns) / 1e6,
    disorder,
    framesPerEvent: framesUsed / p.n,
    ...cpuFields(ctx.cpuShare(a, b, p.n)),
  };
}
