// Load-generator process of one benchmark run. Usage (by run.mjs, through child_process.fork):
//   node benchmarks/loadgen.mjs <lib> <scenario> '<json params>'
// Loads clients/<lib>.mjs and scenarios/<scenario>.mjs, runs the scenario against the server at
// params.port, and sends { type: 'result', value } (or { type: 'error', message }) to the runner.
// The scenario talks to the server process through ctx.ask (relayed by the runner) for memory and CPU readings.
import { within } from './lib/limits.mjs';

const [lib, scenario, json] = process.argv.slice(2);
const params = JSON.parse(json ?? '{}');
const client = await import(`./clients/${lib}.mjs`);
const { run } = await import(`./scenarios/${scenario}.mjs`);

const waiting = new Map();
process.on('message', (m) => {
  const w = waiting.get(m.type);
  if (w) waiting.delete(m.type), w(m);
});
const ctx = {
  /** Sends `msg` to the server process and resolves with its answer of type `answer` (default: msg.type). */
  ask(msg, answer = msg.type, ms = 60_000) {
    return within(new Promise((resolve) => (waiting.set(answer, resolve), process.send({ to: 'server', ...msg }))), ms, `server ${msg.type}`);
  },
  /**
   * Asks the runner to kill the server process, wait `downMs` and start a fresh one on the same port (the
   * reconnect row); resolves with { downAt, readyAt } (wall-clock ms: the kill, the new server's listen).
   */
  async restartServer(downMs, ms = 60_000) {
    const answer = new Promise((resolve) => (waiting.set('restarted', resolve), process.send({ to: 'runner', type: 'restart', downMs })));
    const m = await within(answer, ms, 'server restart');
    if (m.error) throw new Error(m.error);
    return { downAt: m.downAt, readyAt: m.readyAt };
  },
  /** CPU time of both processes, to tell which side saturates. */
  async cpu() {
    const server = (await ctx.ask({ type: 'cpu' })).usage;
    return { server, loadgen: process.cpuUsage(), at: process.hrtime.bigint() };
  },
};

/**
 * CPU use of both processes between two ctx.cpu() readings: as a share of one core, and per operation in
 * microseconds when `ops` is given (CPU per operation hardly depends on how busy the machine is, unlike
 * throughput on a shared two-core machine).
 */
function cpuShare(a, b, ops) {
  const wallUs = Number(b.at - a.at) / 1e3;
  const usedUs = (x, y) => y.user - x.user + y.system - x.system;
  const s = usedUs(a.server, b.server);
  const l = usedUs(a.loadgen, b.loadgen);
  return {
    server: +(s / wallUs).toFixed(2),
    loadgen: +(l / wallUs).toFixed(2),
    ...(ops ? { serverUsPerOp: +(s / ops).toFixed(3), loadgenUsPerOp: +(l / ops).toFixed(3) } : {}),
  };
}
ctx.cpuShare = cpuShare;

try {
  const value = await within(run(client, params, ctx), params.budgetMs ?? 120_000, `${lib} ${scenario}`);
  const cpu = process.cpuUsage();
  process.send({ type: 'result', value, cpuSec: (cpu.user + cpu.system) / 1e6 }, () => process.exit(0));
} catch (e) {
  process.send({ type: 'error', message: `${e?.name ?? 'Error'}: ${e?.message ?? e}` }, () => process.exit(1));
}
