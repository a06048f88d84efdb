// Streamed reply vs one request per item (sente-rx only), on one connection in one process, alternating:
// `stream$(['bench/stream', { n }])` (the server answers with replyStream over an Iterable; the client's default
// window of 64 items) against n requests `bench/echo` of one item each with params.concurrency (64) in flight.
// Each half runs params.n items after a warm-up; the result is items per second of each.
import { EV, payload } from '../lib/payload.mjs';

async function requests(c, n, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < n) await c.request(EV.echo, payload(next++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function streamed(c, n) {
  let got = 0;
  await c.stream(EV.stream, { n }, () => got++);
  if (got !== n) throw new Error(`stream: ${got} items of ${n}`);
}

const timed = async (f) => {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

export async function run(lib, p, ctx) {
  const c = await lib.connect({ port: p.port, uid: 'u0', transport: p.transport });
  await streamed(c, p.warmup);
  await requests(c, p.warmup, p.concurrency);
  // Alternating halves, so both figures come from the same machine state.
  let streamSec = 0;
  let reqSec = 0;
  const a = await ctx.cpu();
  for (let half = 0; half < 2; half++) {
    streamSec += await timed(() => streamed(c, p.n / 2));
    reqSec += await timed(() => requests(c, p.n / 2, p.concurrency));
  }
  const b = await ctx.cpu();
  c.close();
  return { itemsPerSec: Math.round(p.n / streamSec), reqItemsPerSec: Math.round(p.n / reqSec), cpu: ctx.cpuShare(a, b) };
}
