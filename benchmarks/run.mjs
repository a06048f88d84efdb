// Benchmark runner: sente-rx against raw ws (the ceiling) and Socket.IO 4 (the peer), in one run.
//
//   node benchmarks/run.mjs            full run; writes benchmarks/results.json and benchmarks/RESULTS.md
//   node benchmarks/run.mjs --quick    smaller sizes, fewer runs (< 2 min); writes benchmarks/results-quick.json
//   node benchmarks/run.mjs --smoke    tiny sizes, 1 run, for CI; writes its JSON to a temp file only
// Options: --only=push-off,fanout  --libs=sente,ws  --runs=N  --out=file.json  --no-bundle
//          --profile[=server|loadgen|both]  CPU profiles (node --cpu-prof) of the sente-rx processes, top self time printed
//          --profile-libs=sente,ws           whose processes --profile records (default: sente)
//          --pin=split|same|none            CPU placement (default split: server on CPU 0, load generator on CPU 1)
//          --dist=/path/to/dist             benchmark another build of sente-rx (default: ./dist)
//          --sente-server='{"keepAlive":false}'  extra sente-rx server options, for experiments
//          --heap-snapshot                  heap snapshot of the server in the memory scenario
//          --retries=N --foreign-limit=0.5   repeat a run (up to N times; default 0) while other processes used
//                                           more than 0.5 cores during it
//          --merge                          (full mode, with --only) put the rows run into results.json and
//                                           RESULTS.md in place of the same rows of the last full run, dated
//
// Every run of a scenario forks a fresh server process (server.mjs) and a fresh load-generator process
// (loadgen.mjs; a scenario may have the server killed and restarted on its port: the reconnect row), relays their IPC, and records the load generator's result, or null when the run fails or
// exceeds its time budget (the run goes on). Runs interleave the libraries; the table shows medians. The CPU
// time other processes used during each run is recorded (the machine may be shared; see lib/load.mjs).
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { BUNDLE_TARGET_BYTES, LIBS, MODES, scenarios } from './lib/config.mjs';
import { median } from './lib/stats.mjs';
import { sleep } from './lib/limits.mjs';
import { backgroundBusy, cpuTimes, foreignCores } from './lib/load.mjs';
import { machine, resultsMarkdown, rowsOf, textTable } from './lib/report.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const profileDir = `${here}profiles/`;

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const mode = args.smoke ? 'smoke' : args.quick ? 'quick' : 'full';
const sizes = MODES[mode];
const only = typeof args.only === 'string' ? args.only.split(',') : null;
const onlyLibs = typeof args.libs === 'string' ? args.libs.split(',') : null;
const runsOverride = args.runs ? Number(args.runs) : null;
const profile = args.profile === true ? 'server' : args.profile || null;
const profileLibs = typeof args['profile-libs'] === 'string' ? args['profile-libs'].split(',') : ['sente'];
const partial = Boolean(only || onlyLibs || runsOverride || args.out || profile || args.dist || args['sente-server']);

if (typeof args.dist === 'string') process.env.SENTE_RX_DIST = args.dist; // children inherit it
const { distDir } = await import('./lib/dist.mjs');
for (const f of ['cjs/server.cjs', 'cjs/client.cjs', 'esm/client.mjs', 'browser/sente-rx.min.js']) {
  if (!existsSync(`${distDir}/${f}`)) {
    console.error(`benchmarks need the built package (${distDir}/${f} is missing): run \`npm run build\` first`);
    process.exit(2);
  }
}

const log = (s) => process.stderr.write(`${s}\n`);

/** Waits for a message of one of `types` from `child`, its exit, or the deadline. */
function next(child, types, ms) {
  return new Promise((resolve) => {
    const done = (x) => {
      clearTimeout(t);
      child.off('message', onMsg);
      child.off('exit', onExit);
      resolve(x);
    };
    const onMsg = (m) => types.includes(m.type) && done(m);
    const onExit = (code, sig) => done({ type: 'error', message: `process exited (${code ?? sig}) before answering` });
    const t = setTimeout(() => done({ type: 'error', message: `TimeoutError: no answer within ${ms} ms` }), ms);
    child.on('message', onMsg);
    child.on('exit', onExit);
  });
}

async function stop(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  if (child.connected) child.send({ type: 'stop' }, () => undefined);
  const t = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(t);
}

/** --sente-server='{"keepAlive":false}': extra options for createChannelSocketServer (experiments; makes the run partial). */
const senteExtra = typeof args['sente-server'] === 'string' ? JSON.parse(args['sente-server']) : null;
/**
 * Where the processes run. Default (split): the server on CPU 0 and the load generator on CPU 1 (taskset),
 * one core each, the same placement in every run. `--pin=same` puts both on CPU 1; `--pin=none` lets the
 * kernel place them, and on a VM a request/reply ping-pong then runs about twice as fast when both happen to
 * share a core (no cross-core wake-ups) as when they do not, which makes runs bimodal.
 */
const canPin = os.cpus().length >= 2 && process.platform === 'linux' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pin = args.pin === 'none' ? null : args.pin === true || args.pin === undefined ? (canPin ? 'split' : null) : args.pin;
function forkPinned(who, file, argv, execArgv, opts) {
  const cpu = pin === 'split' ? (who === 'server' ? '0' : '1') : pin === 'same' ? '1' : null;
  if (!cpu) return fork(file, argv, { ...opts, execArgv });
  return fork(file, argv, { ...opts, execPath: 'taskset', execArgv: ['-c', cpu, process.execPath, ...execArgv] });
}

const profArgs = (who, lib, name) =>
  profileLibs.includes(lib) && profile && (profile === who || profile === 'both')
    ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${who}.cpuprofile`]
    : [];

/**
 * One run: a server process and a load-generator process for one library. Resolves with the result or { error }.
 *
 * The load generator may ask the runner to take the server down and bring it back ({ to: 'runner', type:
 * 'restart', downMs }: the reconnect row): the runner SIGKILLs the server process (a crash: the kernel closes
 * every socket and the port refuses connections), waits downMs, forks a fresh server process listening on the
 * same port, and answers { type: 'restarted', downAt, readyAt } (wall-clock ms of the kill and of the new
 * server's listen). The CPU time of every server process of the run counts in its foreign-load figure.
 */
async function runOnce(s, lib, runNo) {
  const name = `${s.id}-${lib}-${runNo}`;
  const serverOpts = { ...(s.server?.[lib] ?? {}), heapSnapshot: Boolean(args['heap-snapshot']), ...(lib === 'sente' && senteExtra ? { extra: senteExtra } : {}) };
  const t0 = cpuTimes();
  const w0 = process.hrtime.bigint();
  const own0 = process.cpuUsage();
  let server;
  let loadgen;
  let serverSecBefore = 0; // CPU seconds of the server processes already killed in this run
  const relayToLoadgen = (m) => m.to === 'loadgen' && loadgen?.connected && loadgen.send(m);
  const startServer = async (extra = {}, incarnation = 0) => {
    const tag = incarnation ? `${name}-r${incarnation}` : name;
    server = forkPinned('server', `${here}server.mjs`, [lib, JSON.stringify({ ...serverOpts, ...extra })], ['--expose-gc', ...profArgs('server', lib, tag)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    server.on('error', () => undefined); // IPC to a process that already exited; its exit is handled
    server.on('message', relayToLoadgen);
    return next(server, ['ready'], 15_000);
  };
  let restarts = 0;
  let restarting = null; // the restart under way, awaited before the run's processes are stopped
  const restart = async (m) => {
    const answer = (x) => loadgen?.connected && loadgen.send({ type: 'restarted', ...x });
    const port = server.port;
    if (server.connected) server.send({ type: 'cpu', from: 'runner' }, () => undefined);
    const sc = await next(server, ['cpu'], 5_000);
    serverSecBefore += sc.usage ? (sc.usage.user + sc.usage.system) / 1e6 : 0;
    const exited = new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r() : server.once('exit', r)));
    const downAt = performance.timeOrigin + performance.now();
    server.kill('SIGKILL');
    await exited;
    await sleep(Math.max(0, m.downMs - (performance.timeOrigin + performance.now() - downAt)));
    const ready = await startServer({ port }, ++restarts);
    if (ready.type !== 'ready') return answer({ error: `restarted server: ${ready.message}` });
    server.port = ready.port;
    answer({ downAt, readyAt: ready.at });
  };
  try {
    const ready = await startServer();
    if (ready.type !== 'ready') return { error: `server: ${ready.message}` };
    server.port = ready.port;
    const ports = { port: ready.port, ...(ready.port2 ? { port2: ready.port2 } : {}) };
    loadgen = forkPinned('loadgen', `${here}loadgen.mjs`, [lib, s.file, JSON.stringify({ ...s.params, ...ports, run: runNo })], profArgs('loadgen', lib, name), {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    loadgen.on('error', () => undefined);
    loadgen.on('message', (m) => {
      if (m.to === 'server' && server.connected) server.send(m);
      else if (m.to === 'runner' && m.type === 'restart' && !restarting) restarting = restart(m).finally(() => (restarting = null));
    });
    const out = await next(loadgen, ['result', 'error'], s.params.budgetMs + 5_000);
    if (out.type !== 'result') return { error: out.message };
    // Foreign load during the run: all busy CPU time minus what the server, load generator and runner used.
    if (server.connected) server.send({ type: 'cpu', from: 'runner' }, () => undefined);
    const sc = await next(server, ['cpu'], 5_000);
    const own = process.cpuUsage(own0);
    const serverSec = serverSecBefore + (sc.usage ? (sc.usage.user + sc.usage.system) / 1e6 : 0);
    const wallSec = Number(process.hrtime.bigint() - w0) / 1e9;
    const t1 = cpuTimes();
    const foreign = foreignCores(t0, t1, serverSec + out.cpuSec + (own.user + own.system) / 1e6, wallSec);
    if (process.env.BENCH_DEBUG_LOAD) log(`load: busy ${(t1.busy - t0.busy).toFixed(2)} s, server ${serverSec.toFixed(2)} s, loadgen ${out.cpuSec.toFixed(2)} s, runner ${((own.user + own.system) / 1e6).toFixed(2)} s, wall ${wallSec.toFixed(2)} s`);
    return { ...out.value, foreignCores: foreign === null ? null : +foreign.toFixed(2) };
  } finally {
    if (loadgen) await stop(loadgen, 5_000);
    await restarting;
    if (server) await stop(server, 10_000);
  }
}

/**
 * A run, repeated (at most MAX_RETRIES more times; none by default) while other processes kept more than
 * FOREIGN_LIMIT cores busy during it: on two cores a neighbour's burst can halve a throughput. The last
 * attempt is kept, with its foreign load and attempt count recorded.
 */
const FOREIGN_LIMIT = Number(args['foreign-limit'] ?? 0.5);
const MAX_RETRIES = Number(args.retries ?? 0);
async function runQuiet(s, lib, runNo) {
  if (s.variants) return runVariants(s, lib, runNo);
  for (let attempt = 1; ; attempt++) {
    const v = await runOnce(s, lib, runNo);
    if (v.error || !(v.foreignCores > FOREIGN_LIMIT) || attempt > MAX_RETRIES) return { ...v, attempts: attempt };
    log(`${s.id} ${lib} run ${runNo}: other processes used ${v.foreignCores} cores during the run; repeating it`);
  }
}

/**
 * A scenario with `variants` (the memory-resume row): one run is one fresh run of the scenario per variant, each
 * with the variant's server options over the scenario's (in alternating order: odd runs the first variant first),
 * so that neither inherits the other's heap. The result holds the first variant's figures as they are, the
 * others' with the variant's suffix (heapPerConnOff), and `ratio`: first ÷ second of `s.ratioOf`.
 */
async function runVariants(s, lib, runNo) {
  const names = Object.keys(s.variants);
  const order = runNo % 2 === 1 ? names : [...names].reverse();
  const got = {};
  for (const name of order) {
    const server = { ...s.server, [lib]: { ...(s.server?.[lib] ?? {}), ...s.variants[name].server } };
    got[name] = await runQuiet({ ...s, server, variants: undefined }, lib, runNo);
    if (got[name].error) return { error: `${name}: ${got[name].error}` };
  }
  const out = {};
  for (const name of names) {
    for (const [k, v] of Object.entries(got[name])) out[`${k}${s.variants[name].suffix}`] = v;
  }
  out.ratio = got[names[0]][s.ratioOf] / got[names[1]][s.ratioOf];
  out.foreignCores = Math.max(...names.map((n) => got[n].foreignCores ?? 0));
  return out;
}

function summary(v, s) {
  if (v.error) return `FAILED (${v.error})`;
  return (
    s.metrics.map((m) => `${m.key}=${typeof v[m.key] === 'number' ? +v[m.key].toFixed(2) : v[m.key]}`).join(' ') +
    (v.cpu ? ` cpu(server ${v.cpu.server}, loadgen ${v.cpu.loadgen})` : '') +
    (v.foreignCores !== null && v.foreignCores !== undefined ? ` foreign ${v.foreignCores}` : '')
  );
}

if (profile) {
  // Fresh profiles only: the report below prints every profile in the folder.
  mkdirSync(profileDir, { recursive: true });
  for (const f of readdirSync(profileDir).filter((x) => x.endsWith('.cpuprofile'))) unlinkSync(`${profileDir}${f}`);
}

const started = Date.now();
const results = {
  mode,
  dist: distDir,
  pin,
  machine: machine(),
  runs: { runs: runsOverride ?? sizes.runs, heavyRuns: runsOverride ?? sizes.heavyRuns, reconnectRuns: runsOverride ?? sizes.reconnectRuns },
  sizes,
  scenarios: [],
  bundle: null,
  presence: null,
  bundleTargetBytes: BUNDLE_TARGET_BYTES,
  notes: [],
  // `uptime`'s 1, 5 and 15 minute load averages at the start and the end: how shared the machine was.
  loadAverage: { start: os.loadavg().map((x) => +x.toFixed(2)), end: null },
};

const clientMods = Object.fromEntries(await Promise.all(Object.keys(LIBS).map(async (l) => [l, await import(`./clients/${l}.mjs`)])));

for (const s of scenarios(mode)) {
  if (only ? !only.includes(s.id) : s.optIn) continue;
  const libs = s.libs.filter((l) => !onlyLibs || onlyLibs.includes(l));
  const n = runsOverride ?? sizes[s.runs];
  const runs = Object.fromEntries(libs.map((l) => [l, []]));
  const medians = {};
  // Half a second per scenario; a smoke run only checks that the harness works (and runs in CI, where time counts).
  const busy = mode === 'smoke' ? null : await backgroundBusy();
  if (busy !== null) log(`${s.id}: background CPU busy ${(busy * 100).toFixed(0)}% of all cores before the scenario`);
  const active = libs.filter((l) => {
    if (clientMods[l].supports(s.params.transport)) return true;
    medians[l] = 'skipped';
    log(`${s.id} ${l}: skipped: ${s.params.transport === 'ajax' ? 'Ajax transport not available in this build' : 'transport not supported'}`);
    return false;
  });
  if (active.length && active.every((l) => l !== 'sente')) log(`${s.id}: sente-rx skipped, peers still measured for reference`);
  for (let r = 1; r <= n; r++) {
    for (const lib of active) {
      const v = await runQuiet(s, lib, r);
      runs[lib].push(v);
      log(`${s.id} ${lib} run ${r}/${n}: ${summary(v, s)}`);
    }
  }
  for (const lib of active) {
    const ok = runs[lib].filter((v) => !v.error);
    if (ok.length === 0) {
      medians[lib] = null;
      continue;
    }
    const keys = new Set(ok.flatMap((v) => Object.keys(v).filter((k) => typeof v[k] === 'number')));
    medians[lib] = Object.fromEntries([...keys].map((k) => [k, median(ok.map((v) => v[k]))]));
    const cpu = ok.filter((v) => v.cpu);
    if (cpu.length) medians[lib].cpu = { server: median(cpu.map((v) => v.cpu.server)), loadgen: median(cpu.map((v) => v.cpu.loadgen)) };
  }
  if (s.peersFrom) {
    const from = results.scenarios.find((x) => x.id === s.peersFrom);
    for (const p of ['ws', 'socketio']) if (from && medians[p] === undefined && p in from.medians) medians[p] = from.medians[p];
  }
  results.scenarios.push({ id: s.id, title: s.title, backgroundBusy: busy, params: s.params, server: s.server ?? {}, metrics: s.metrics, peersFrom: s.peersFrom, medians, runs });
}

if (!args['no-bundle'] && (!only || only.includes('bundle'))) {
  const { measureBundles } = await import('./scenarios/bundle.mjs');
  results.bundle = await measureBundles();
  log(`bundle: ${JSON.stringify(results.bundle)}`);
}

if (!only || only.includes('presence')) {
  const { measurePresence } = await import('./scenarios/presence.mjs');
  results.presence = measurePresence({ uids: sizes.presence.uids });
  log(`presence: ${JSON.stringify(results.presence)}`);
}

// Notes the reader needs next to the numbers.
const sc = (id) => results.scenarios.find((x) => x.id === id);
for (const s of results.scenarios) {
  for (const [lib, v] of Object.entries(s.medians)) {
    if (v === 'skipped') results.notes.push(`${s.id}: ${LIBS[lib]} skipped: Ajax transport not available in this build.`);
    else if (v === null) results.notes.push(`${s.id}: ${LIBS[lib]} has no result (every run failed or ran out of time; see results.json).`);
  }
  for (const [lib, rs] of Object.entries(s.runs)) {
    const bad = rs.filter((v) => v.disorder || v.wrong);
    if (bad.length) results.notes.push(`${s.id}: ${LIBS[lib]} lost, reordered or mismatched events in ${bad.length} run(s).`);
    const failed = rs.filter((v) => v.error);
    if (failed.length && failed.length < rs.length) results.notes.push(`${s.id}: ${LIBS[lib]} ${failed.length} of ${rs.length} runs failed (${failed[0].error}).`);
  }
}
const on = sc('push-on')?.medians.sente;
if (on && typeof on === 'object' && on.framesPerEvent > 0.5) {
  results.notes.push(
    `push-on: sente-rx received ${on.framesPerEvent.toFixed(2)} frames per event with wsBatchMs 30, i.e. no batching: this build ignores the option (server push batching is not in it yet), so "batching on" measured the unbatched path.`,
  );
}
const foreign = results.scenarios
  .map((s) => [s.id, median(Object.values(s.runs).flat().map((v) => v.foreignCores))])
  .filter(([, f]) => f !== null);
if (foreign.some(([, f]) => f > 0.2)) {
  results.notes.push(
    `The machine was shared: other processes kept a median of ${foreign.map(([id, f]) => `${f.toFixed(2)} (${id})`).join(', ')} cores busy during the runs (of ${os.cpus().length}), so one of the two benchmark processes often shared its core with them; throughputs are lower and noisier than on an idle machine. Compare ratios within a row, not numbers across runs.`,
  );
}
results.elapsedSec = Math.round((Date.now() - started) / 1000);
results.loadAverage.end = os.loadavg().map((x) => +x.toFixed(2));

const rows = rowsOf(results);
console.log(`\nsente-rx benchmarks (${mode}, ${results.elapsedSec} s): medians of ${results.runs.runs} runs (${results.runs.heavyRuns} for fan-out, memory, Ajax; ${results.runs.reconnectRuns} for reconnect)\n`);
console.log(textTable(rows));
if (results.notes.length) console.log(`\n${results.notes.map((n) => `- ${n}`).join('\n')}`);

const jsonPath =
  typeof args.out === 'string'
    ? args.out
    : mode === 'smoke'
      ? `${os.tmpdir()}/sente-rx-bench-smoke-${process.pid}.json`
      : mode === 'quick'
        ? `${here}results-quick.json`
        : partial
          ? `${here}results-partial.json`
          : `${here}results.json`;
writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nJSON: ${jsonPath}`);
if (mode === 'full' && !partial) {
  writeFileSync(`${here}RESULTS.md`, resultsMarkdown(results, rows));
  console.log(`Markdown: ${here}RESULTS.md`);
} else if (mode === 'full' && args.merge && only && !onlyLibs && !runsOverride && !args.dist && !args['sente-server'] && !profile) {
  // --merge: one row measured again (or a new one) without re-running everything. Its rows replace the same
  // rows of the last full run (or are added after them); RESULTS.md says which rows came later, and when.
  const base = JSON.parse(readFileSync(`${here}results.json`, 'utf8'));
  for (const x of results.scenarios) {
    const at = base.scenarios.findIndex((y) => y.id === x.id);
    const row = { ...x, measuredAt: results.machine.date, elapsedSec: results.elapsedSec };
    if (at >= 0) base.scenarios[at] = row;
    else base.scenarios.push(row);
  }
  const ids = results.scenarios.map((x) => x.id);
  base.merged = [...(base.merged ?? []).filter((m) => !m.scenarios.every((id) => ids.includes(id))), { date: results.machine.date, scenarios: ids, loadAverage: results.loadAverage, notes: results.notes }];
  writeFileSync(`${here}results.json`, `${JSON.stringify(base, null, 2)}\n`);
  writeFileSync(`${here}RESULTS.md`, resultsMarkdown(base, rowsOf(base)));
  console.log(`Merged into ${here}results.json and ${here}RESULTS.md`);
} else if (args.merge) {
  console.error('--merge needs a full-mode run with --only and no other option that changes what is measured; nothing merged');
}

if (profile) {
  const { topSelf } = await import('./tools/cpu-top.mjs');
  for (const f of readdirSync(profileDir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
    console.log(`\n${f}\n${topSelf(`${profileDir}${f}`, 25)}`);
  }
}

// Smoke runs exist so the harness cannot rot: fail when a scenario produced nothing for a library.
if (mode === 'smoke') {
  const missing = results.scenarios.flatMap((s) => Object.entries(s.medians).filter(([, v]) => v === null).map(([l]) => `${s.id}/${l}`));
  if (missing.length) {
    console.error(`smoke: no result for ${missing.join(', ')}`);
    process.exit(1);
  }
}
