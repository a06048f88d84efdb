// Cluster benchmark: 3 server processes on this machine and one Redis, sente-rx + createRedisAdapter against
// Socket.IO 4.8 + @socket.io/redis-adapter, side by side in one run (libraries interleaved per round).
//
//   node benchmarks/cluster.mjs [--quick] [--runs=N] [--clients=N] [--libs=sente,socketio]
//
// Rows: presence convergence (N connects round-robin → every node sees N users), broadcast fan-out
// (deliveries/s to N clients spread over 3 nodes, one node broadcasting), cross-node push latency p50/p99
// (a push from node 1 to a user on node 0, one at a time), time to forget a SIGKILLed node (its users gone
// from the survivors' view). Needs the built package (npm run build) and Redis on 127.0.0.1:6379; keys go
// under a fresh prefix and are deleted after.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { distDir } from './lib/dist.mjs';

const require = createRequire(import.meta.url);
const { createChannelSocketClient } = require(`${distDir}/cjs/client.cjs`);
const { io: sioClient } = require('socket.io-client');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]));
const quick = Boolean(args.quick);
const N = Number(args.clients ?? (quick ? 300 : 1000));
const RUNS = Number(args.runs ?? (quick ? 1 : 3));
const FAN_MSGS = quick ? 20 : 50;
const LAT_N = quick ? 300 : 2000;
const HEARTBEAT_MS = 1000;
const NODE_TIMEOUT_MS = 3000;
const libs = typeof args.libs === 'string' ? args.libs.split(',') : ['sente', 'socketio'];
const log = (s) => process.stderr.write(`${s}\n`);
const until = async (cond, ms = 60_000) => {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10)); // polling a condition across processes
  }
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);

function startNode(lib, prefix) {
  const child = fork(new URL('./servers/clusterNode.mjs', import.meta.url), [JSON.stringify({ lib, url: 'redis://127.0.0.1:6379', prefix, heartbeatMs: HEARTBEAT_MS, nodeTimeoutMs: NODE_TIMEOUT_MS })]);
  let rid = 0;
  const pending = new Map();
  child.on('message', (m) => m.rid !== undefined && (pending.get(m.rid)?.(m.value), pending.delete(m.rid)));
  const ready = new Promise((r) => child.on('message', (m) => m.type === 'ready' && r(m.port)));
  const ask = (cmd, a = {}) => new Promise((r) => (pending.set(++rid, r), child.send({ rid, cmd, ...a })));
  return ready.then((port) => ({ child, port, ask }));
}

/** Connects a client of `lib` to `port` as `uid`; `on(event, fn)` listens to pushes. */
function connect(lib, port, uid) {
  if (lib === 'sente') {
    const c = createChannelSocketClient({ url: `http://127.0.0.1:${port}/chsk`, WebSocket, type: 'ws', params: { uid } });
    const handlers = new Map();
    c.events$.subscribe((e) => handlers.get(e[0])?.(e[1]));
    return new Promise((resolve) => {
      const s = c.state$.subscribe((st) => st.open && (queueMicrotask(() => s.unsubscribe()), resolve({ on: (ev, fn) => handlers.set(ev, fn), close: () => c.disconnect() })));
    });
  }
  const s = sioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], query: { uid }, reconnection: false });
  return new Promise((resolve) => s.on('connect', () => resolve({ on: (ev, fn) => s.on(ev, fn), close: () => s.close() })));
}

async function run(lib) {
  const prefix = `chsk-bench:${randomBytes(4).toString('hex')}:`;
  const nodes = await Promise.all([0, 1, 2].map(() => startNode(lib, prefix)));
  const out = {};
  const clients = [];
  try {
    // Presence convergence: N connects round-robin, until every node counts N users.
    const t0 = performance.now();
    const batch = 50;
    for (let i = 0; i < N; i += batch) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(batch, N - i) }, (_, j) => connect(lib, nodes[(i + j) % 3].port, `u${i + j}`)))));
    }
    const connected = performance.now() - t0;
    await until(async () => (await Promise.all(nodes.map((n) => n.ask('count')))).every((c) => c >= N));
    out.presenceMs = performance.now() - t0;
    out.connectMs = connected;

    // Broadcast fan-out: node 0 broadcasts FAN_MSGS small messages; deliveries/s until every client has them.
    let got = 0;
    let done;
    for (const c of clients) c.on('b/fan', () => ++got === N * FAN_MSGS && done());
    const f0 = performance.now();
    await new Promise((r) => ((done = r), nodes[0].ask('broadcast', { n: FAN_MSGS, data: { text: 'hello world' } })));
    out.fanoutPerSec = (N * FAN_MSGS) / ((performance.now() - f0) / 1000);

    // Cross-node push latency: node 1 pushes to u0 (on node 0), one at a time.
    const lat = [];
    let arrived;
    clients[0].on('b/ev', () => arrived());
    for (let i = 0; i < LAT_N; i++) {
      const s = performance.now();
      await new Promise((r) => ((arrived = r), nodes[1].ask('send', { uid: 'u0', data: i })));
      lat.push(performance.now() - s);
    }
    out.latP50 = pct(lat.slice(LAT_N / 10), 50);
    out.latP99 = pct(lat.slice(LAT_N / 10), 99);

    // Time to forget a SIGKILLed node: until the survivors count only the users not on it.
    const onDead = Math.floor((N + 0) / 3); // clients i % 3 === 2
    const k0 = performance.now();
    nodes[2].child.kill('SIGKILL');
    await until(async () => (await Promise.all(nodes.slice(0, 2).map((n) => n.ask('count')))).every((c) => c >= 0 && c <= N - onDead));
    out.forgetMs = performance.now() - k0;
  } finally {
    for (const c of clients) c.close();
    for (const n of nodes) n.child.kill('SIGKILL');
    const r = new Redis();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
    r.disconnect();
  }
  return out;
}

const results = Object.fromEntries(libs.map((l) => [l, []]));
for (let r = 0; r < RUNS; r++) {
  for (const lib of libs) {
    log(`run ${r + 1}/${RUNS} ${lib} (${N} clients, 3 nodes)...`);
    results[lib].push(await run(lib));
  }
}
const rows = [
  ['presence convergence after N connects (ms, lower is better)', 'presenceMs'],
  ['  of which: the connects themselves (ms)', 'connectMs'],
  ['broadcast fan-out (deliveries/s, higher is better)', 'fanoutPerSec'],
  ['cross-node push latency p50 (ms)', 'latP50'],
  ['cross-node push latency p99 (ms)', 'latP99'],
  [`time to forget a SIGKILLed node (ms; sente heartbeat ${HEARTBEAT_MS}, nodeTimeout ${NODE_TIMEOUT_MS})`, 'forgetMs'],
];
const fmt = (v) => (v === undefined ? '-' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
console.log(`| metric (median of ${RUNS}, ${N} clients, 3 nodes) | ${libs.map((l) => (l === 'sente' ? 'sente-rx' : 'Socket.IO')).join(' | ')} |`);
console.log(`| --- | ${libs.map(() => '---:').join(' | ')} |`);
for (const [label, key] of rows) console.log(`| ${label} | ${libs.map((l) => fmt(median(results[l].map((x) => x[key])))).join(' | ')} |`);
process.exit(0);
