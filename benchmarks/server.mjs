// Server process of one benchmark run. Usage (by run.mjs, through child_process.fork):
//   node --expose-gc benchmarks/server.mjs <lib> '<json options>'
// Starts servers/<lib>.mjs on 127.0.0.1 with an ephemeral port (or on options.port: the restarted server of the
// reconnect row, on the port its predecessor had), tells the runner { type: 'ready', port, at } (`at`: wall-clock
// ms, sub-ms precision, when it began listening),
// then answers the load generator's requests (relayed by the runner over IPC):
//   { type: 'cpu' }                 → { type: 'cpu', usage }            CPU time used so far (process.cpuUsage);
//                                                                       the runner asks too ({ from: 'runner' })
//   { type: 'baseline' }            → { type: 'baseline' }              waits for 0 connections, gc, records memory
//   { type: 'measure', expect: N }  → { type: 'measured', ... }         waits for N connections, gc, memory delta / N
//   { type: 'push', uid, first, n, whenGone } → { type: 'pushed' }     n pushes to uid (the catch-up row; servers
//                                                                       whose start() returns push), after waiting
//                                                                       for 0 connections when whenGone
// and exits on { type: 'stop' } (a clean exit, so --cpu-prof writes its profile).
// Twin (options.twin, an object of options): a second server of the same library in the same process, started
// with the options merged with options.twin, on its own port (`port2` in the ready message); the rows that compare
// an option on and off side by side use it (push-resume, reqrep-dedupe).
import { writeHeapSnapshot } from 'node:v8';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sleep } from './lib/limits.mjs';

const [lib, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}');
const mod = await import(`./servers/${lib}.mjs`);
const { twin, ...own } = opts;
const srv = await mod.start(own);
await listen(srv, own.port ?? 0);
const srv2 = twin ? await mod.start({ ...own, ...twin, extra: { ...own.extra, ...twin.extra } }) : null;
if (srv2) await listen(srv2, 0);

/**
 * Listens on 127.0.0.1:port. A fixed port (a restart) may still be held for a moment by the killed
 * predecessor's listening socket: retry EADDRINUSE for up to 5 s.
 */
async function listen(server, port) {
  for (let tries = 0; ; tries++) {
    try {
      return await new Promise((resolve, reject) => {
        server.http.once('error', reject);
        server.http.listen(port, '127.0.0.1', () => (server.http.off('error', reject), resolve()));
      });
    } catch (e) {
      if (e?.code !== 'EADDRINUSE' || port === 0 || tries >= 50) throw e;
      await sleep(100);
    }
  }
}

const connections = () => new Promise((resolve) => srv.http.getConnections((e, n) => resolve(e ? -1 : n)));

async function settledMemory() {
  for (let i = 0; i < 4; i++) {
    global.gc?.();
    await sleep(50);
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, external: m.external };
}

/** Polls the connection count until `ok(n)` or the deadline; returns the last count. */
async function waitConnections(ok, ms) {
  const until = Date.now() + ms;
  let n = await connections();
  while (!ok(n) && Date.now() < until) {
    await sleep(50);
    n = await connections();
  }
  return n;
}

/** With --heap-snapshot: writes profiles/<lib>-<tag>.heapsnapshot (compare two with tools/heap-diff.mjs). */
function snapshot(tag) {
  if (!opts.heapSnapshot) return;
  const dir = fileURLToPath(new URL('./profiles/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`heap snapshot: ${writeHeapSnapshot(`${dir}${lib}-${tag}.heapsnapshot`)}\n`);
}

let base;
process.on('message', async (m) => {
  const reply = (x) => process.send({ to: m.from ?? 'loadgen', ...x });
  switch (m.type) {
    case 'cpu':
      return reply({ type: 'cpu', usage: process.cpuUsage() });
    case 'baseline':
      await waitConnections((n) => n === 0, 10_000);
      await sleep(m.settleMs ?? 200);
      base = await settledMemory();
      snapshot('baseline');
      return reply({ type: 'baseline', ...base });
    case 'measure': {
      const n = await waitConnections((c) => c >= m.expect, 30_000);
      await sleep(m.settleMs ?? 500); // let handshakes and per-connection setup finish (smoke runs: less)
      const now = await settledMemory();
      snapshot(String(m.expect));
      return reply({
        type: 'measured',
        connections: n,
        heapPerConn: (now.heapUsed - base.heapUsed) / m.expect,
        rssPerConn: (now.rss - base.rss) / m.expect,
        externalPerConn: (now.external - base.external) / m.expect,
      });
    }
    case 'push':
      if (m.whenGone) await waitConnections((n) => n === 0, 10_000);
      srv.push(m.uid, m.first, m.n);
      return reply({ type: 'pushed' });
    case 'stop':
      // Exit without closing sockets: the run is over and the runner is waiting for the profile.
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', port: srv.http.address().port, port2: srv2?.http.address().port, at: performance.timeOrigin + performance.now() });
