// Reconnect recovery (issue 10 #12). params.clients clients connect (at most 100 handshakes in flight, each with
// its own uid) with the library's default reconnection. Then the runner SIGKILLs the server process (a crash:
// the kernel closes every socket, the port refuses connections), waits params.downMs, and starts a fresh server
// process on the same port (ctx.restartServer). Each client records the wall-clock time of its first open
// after the kill (sente-rx: `state$.open` true again, i.e. the handshake of a new link; Socket.IO: `connect`).
//
// Measured from the moment the new server listens:
//   backMs       until the last client is back (the row's main figure)
//   p50BackMs    until half of them are
//   maxSlicePct  the largest share of the clients (%) that came back within one sliceMs (250 ms) slice: a herd
//                shows as one tall slice, a well-spread fleet as many low ones
//   connectMs    the initial connects, for reference
// A client back "before" the new server listened (it cannot be: the port was closed) would count in slice 0.
// params.backoff (sente-rx only): a named backoff of clients/sente.mjs instead of the client's default.
import { pool, within } from '../lib/limits.mjs';

const nowMs = () => performance.timeOrigin + performance.now();

export async function run(lib, p, ctx) {
  const deadline = Date.now() + p.budgetMs - 1000;
  const sliceMs = p.sliceMs ?? 250;
  const clients = [];
  const tc = nowMs();
  await pool(p.clients, 100, async (i) => void clients.push(await lib.connect({ port: p.port, uid: `u${i}`, transport: p.transport, reconnect: true, backoff: p.backoff })), deadline);
  const connectMs = nowMs() - tc;

  const backAt = new Array(clients.length).fill(null);
  let back = 0;
  let onAll = () => undefined;
  clients.forEach((c, i) =>
    c.onReopen(() => {
      if (backAt[i] !== null) return;
      backAt[i] = nowMs();
      if (++back === clients.length) onAll();
    }),
  );
  const all = new Promise((resolve) => (onAll = resolve));
  const { downAt, readyAt } = await ctx.restartServer(p.downMs, Math.max(1, deadline - Date.now()));
  await within(all, Math.max(1, deadline - Date.now()), `reconnect: ${back} of ${clients.length} clients back`);

  const since = backAt.map((t) => Math.max(0, t - readyAt)).sort((a, b) => a - b);
  const slices = new Map();
  for (const t of since) slices.set(Math.floor(t / sliceMs), (slices.get(Math.floor(t / sliceMs)) ?? 0) + 1);
  const tallest = Math.max(...slices.values());
  for (const c of clients) c.close();
  return {
    backMs: since[since.length - 1],
    p50BackMs: since[Math.floor((since.length - 1) / 2)],
    maxSlicePct: (100 * tallest) / clients.length,
    downMs: readyAt - downAt,
    connectMs,
    // Clients back per slice, from the new server's listen: the shape of the recovery.
    slices: Array.from({ length: Math.max(...slices.keys()) + 1 }, (_, k) => slices.get(k) ?? 0),
  };
}
