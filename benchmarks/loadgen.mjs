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
  /** CPU time of both processes, to tell which side saturates. */
  async cpu() {
    const server = (await ctx.ask({ type: 'cpu' })).usage;
    return { server, loadgen: process.cpuUsage(), at: process.hrtime.bigint() };
  },
};

/** CPU use (fraction of one core) of both processes between two ctx.cpu() readings. */
function cpuShare(a, b) {
  const wallUs = Number(b.at - a.at) / 1e3;
  const used = (x, y) => (y.user - x.user + y.system - x.system) / wallUs;
  return { server: +used(a.server, b.server).toFixed(2), loadgen: +used(a.loadgen, b.loadgen).toFixed(2) };
}
ctx.cpuShare = cpuShare;

try {
  const value = await within(run(client, params, ctx), params.budgetMs ?? 120_000, `${lib} ${scenario}`);
  process.send({ type: 'result', value }, () => process.exit(0));
} catch (e) {
  process.send({ type: 'error', message: `${e?.name ?? 'Error'}: ${e?.message ?? e}` }, () => process.exit(1));
}
