// Micro-benchmark of what resume and dedupe add per operation on the server, in isolation (no sockets):
//   node benchmarks/micro/replayLog.mjs [--runs=7] [--n=300000] [--garbage=512] [--only=push,log,dedupe]
// Builds first (`npm run build`); SENTE_RX_DIST=<dir> measures another build. Rows:
//   push      MemoryAdapter.push with resume on vs off (replay: false), into a host whose deliver packs the
//             message with JSON.stringify as the batcher would: the whole adapter push path, seq included.
//   log       MemoryReplayLog.append alone, one stream, and 1,000 streams in turn.
//   dedupe    MemoryDedupe.claim + complete (a reply kept as its packed frame), one client, and 100 in turn.
// `--garbage=B` allocates about B bytes of short-lived objects per operation, as the rest of the server does,
// so retained log entries live through scavenges and reach the old generation as they do in a server (0: none).
// Each row runs its variants interleaved, `runs` times, and reports the median CPU ns per operation (and the
// range). Compare two builds: SENTE_RX_DIST=<copy of an earlier dist inside the checkout> node benchmarks/micro/...
import { distDir } from '../lib/dist.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const RUNS = Number(args.runs ?? 7);
const N = Number(args.n ?? 300_000);
const GARBAGE = Number(args.garbage ?? 512);
const only = args.only ? new Set(args.only.split(',')) : undefined;

const { MemoryAdapter, MemoryReplayLog, MemoryDedupe } = await import(`${distDir}/esm/server.mjs`);

let sink = 0;
/** About `bytes` of short-lived garbage: small objects and a string, as a request or a push makes. */
const keep = new Array(256).fill(null);
let slot = 0;
function garbage(bytes, i) {
  // Kept for a few hundred operations (a ring of 256 slots), so it is allocated for real and dies young.
  for (let k = 0; k < bytes; k += 64) keep[slot++ & 255] = { a: i, b: k, c: [i, k] };
  return 1;
}

let clock = 1_000_000;
// --real-clock: the adapter reads rxjs's asyncScheduler (Date.now) as a server does; otherwise a fixed clock.
const { asyncScheduler } = await import('rxjs');
const now = args['real-clock'] ? () => asyncScheduler.now() : () => clock;
const scheduler = args['real-clock'] ? asyncScheduler : { now, schedule: () => ({ unsubscribe() {} }) };

function adapter(replay) {
  const a = new MemoryAdapter({ replay });
  a.start({
    scheduler,
    graceMs: { ws: 5000, ajax: 5000 },
    packer: undefined,
    deliver: (_key, msg) => ((sink += JSON.stringify(msg).length), 1),
    closeLocal: () => 0,
    uidPort: () => {},
    report: () => {},
    resume: replay !== false,
  });
  return a;
}

/**
 * CPU ns per op of `body(i)` over N ops (after N/10 untimed ones): the process's CPU time (user + system, GC
 * threads included), not wall time, so neighbours on a loaded machine move it much less.
 */
function time(body) {
  const warm = Math.ceil(N / 10);
  for (let i = 0; i < warm; i++) body(i), GARBAGE && (sink += garbage(GARBAGE, i));
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) body(i), GARBAGE && (sink += garbage(GARBAGE, i));
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1e3) / N;
}

const rows = {
  push: () => {
    const on = adapter({});
    const off = adapter(false);
    return {
      'garbage alone (subtracted below)': () => time(() => {}),
      'adapter push, resume on': () => time((i) => on.push('u1', { t: 'e', ev: ['bench/ev', { n: i, text: 'hello world' }] }, false)),
      'adapter push, resume off': () => time((i) => off.push('u1', { t: 'e', ev: ['bench/ev', { n: i, text: 'hello world' }] }, false)),
    };
  },
  log: () => {
    const one = new MemoryReplayLog(now);
    const many = new MemoryReplayLog(now);
    const streams = Array.from({ length: 1000 }, (_, i) => `u:user-${i}`);
    return {
      'append, one stream': () => time((i) => one.append('u:u1', { t: 'e', ev: ['bench/ev', { n: i, text: 'hello world' }] }, 40)),
      'append, 1,000 streams in turn': () => time((i) => many.append(streams[i % 1000], { t: 'e', ev: ['bench/ev', { n: i, text: 'hello world' }] }, 40)),
      'message alone (subtracted)': () => time((i) => (sink += [{ t: 'e', ev: ['bench/ev', { n: i, text: 'hello world' }] }].length)),
    };
  },
  dedupe: () => {
    const one = new MemoryDedupe(now);
    const many = new MemoryDedupe(now);
    const cids = Array.from({ length: 100 }, (_, i) => `client-${i}`);
    return {
      'claim + complete, one client': () =>
        time((i) => {
          if (one.claim('u1', 'c1', i + 1).state === 'new') one.complete('u1', 'c1', i + 1, `{"t":"r","id":${i},"d":"ok"}`);
        }),
      'claim + complete, 100 clients in turn': () =>
        time((i) => {
          const c = cids[i % 100];
          if (many.claim('u1', c, i + 1).state === 'new') many.complete('u1', c, i + 1, `{"t":"r","id":${i},"d":"ok"}`);
        }),
      'reply frame alone (subtracted)': () => time((i) => (sink += `{"t":"r","id":${i},"d":"ok"}`.length)),
    };
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const { loadavg } = await import('node:os');
console.log(`node ${process.version}, ${N.toLocaleString('en-US')} ops per run, ${RUNS} runs, garbage ${GARBAGE} B/op, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}, dist ${distDir}`);
for (const [row, make] of Object.entries(rows)) {
  if (only && !only.has(row)) continue;
  const variants = make();
  const results = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < RUNS; r++) {
    const names = Object.keys(variants);
    if (r % 2) names.reverse();
    for (const k of names) {
      clock += 1; // time moves a little between runs (not during one: a coarse clock, as one tick of a server)
      results[k].push(variants[k]());
    }
  }
  console.log(`\n${row}`);
  for (const [k, xs] of Object.entries(results)) {
    console.log(`  ${k.padEnd(40)} ${median(xs).toFixed(1).padStart(8)} ns  [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`);
  }
}
if (sink === 42) console.log('');
