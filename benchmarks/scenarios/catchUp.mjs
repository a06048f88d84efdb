// Catch-up after a cut (the catch-up row, issue 12): how long a resumed client takes to have every push it
// missed. One sente-rx client (resume on: the default) connects through a TCP proxy in this process
// (lib/proxy.mjs), with a fixed 20 ms reconnect backoff so that the row does not wait out a random one. After a
// warm-up push, each round:
//   1. the proxy cuts the link (both ends see a reset) and refuses new connections;
//   2. the server, once it has seen the connection go, pushes params.missed (1,000) events to the client's uid
//      (server.mjs 'push'), which reach only its replay log;
//   3. the proxy lets connections through again; the client reconnects and presents its positions; the server
//      replays the missed events after the handshake.
// Measured per round: from the reopen (the first of `state$.open` true again and the first replayed event) until
// the last missed event has arrived; also from the proxy's restore, and whether every event arrived once, in
// order, with `recovered: true`. The row's figure is the median round (params.rounds rounds).
import { EV } from '../lib/payload.mjs';
import { within } from '../lib/limits.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { median } from '../lib/stats.mjs';

const nowMs = () => performance.timeOrigin + performance.now();

export async function run(lib, p, ctx) {
  const deadline = Date.now() + p.budgetMs - 1000;
  const proxy = await startProxy(p.port);
  const c = await lib.connect({ port: proxy.port, uid: 'u1', transport: p.transport, backoff: 'fixed-20' });
  let next = 0; // the n the next event should carry
  let disorder = 0;
  let onEvent = () => undefined;
  c.on(EV.ev, (d) => {
    if (d.n !== next) disorder++;
    next = d.n + 1;
    onEvent(d.n);
  });
  let onOpen = () => undefined;
  c.onReopen((recovery) => onOpen(recovery));

  // Warm-up: a push of params.warmup events over the live link (n from 0).
  await within(new Promise((resolve) => ((onEvent = (n) => n === p.warmup - 1 && resolve()), c.emit(EV.push, { n: p.warmup }))), deadline - Date.now(), 'warm-up push');

  const rounds = [];
  let recoveredAll = true;
  for (let r = 0; r < p.rounds; r++) {
    const first = next;
    const last = first + p.missed - 1;
    let openedAt = null;
    let firstAt = null;
    let recovery = null;
    const done = new Promise((resolve) => {
      onEvent = (n) => {
        firstAt ??= nowMs();
        if (n === last) resolve(nowMs());
      };
      onOpen = (rec) => {
        openedAt ??= nowMs();
        recovery = rec;
      };
    });
    proxy.cut();
    await ctx.ask({ type: 'push', uid: 'u1', first, n: p.missed, whenGone: true }, 'pushed');
    const restoredAt = nowMs();
    proxy.restore();
    const lastAt = await within(done, Math.max(1, deadline - Date.now()), `catch-up round ${r} (${next - first} of ${p.missed})`);
    const reopenedAt = Math.min(openedAt ?? Infinity, firstAt ?? Infinity);
    if (!recovery?.recovered) recoveredAll = false;
    rounds.push({ catchUpMs: lastAt - reopenedAt, fromRestoreMs: lastAt - restoredAt, replayed: recovery?.replayed ?? null });
  }
  c.close();
  proxy.close();
  return {
    catchUpMs: median(rounds.map((x) => x.catchUpMs)),
    fromRestoreMs: median(rounds.map((x) => x.fromRestoreMs)),
    maxCatchUpMs: Math.max(...rounds.map((x) => x.catchUpMs)),
    recovered: recoveredAll,
    disorder,
    rounds,
  };
}
