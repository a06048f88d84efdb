// Topic fan-out. params.clients clients connect (each with its own uid) and each joins one of params.topics
// topics (client i joins topic i mod topics: 20 members a topic at 2,000 clients and 100 topics). sente-rx
// joins with topic$ and its server checks every join with authorizeTopic (allowing); Socket.IO joins rooms
// with socket.join after the same check. The run waits until the server counts every member. Then client 0
// asks the server (bench/topic-fanout { n, topics }) to publish one event to each topic (sente-rx:
// publish(topic, event); Socket.IO: io.to(room).emit), and the time from that trigger until every member has
// event n is measured here. Two warm-up rounds, then params.rounds rounds params.gapMs apart; the result is
// the median round, and deliveries/s = members ÷ that time. The load generator receives every copy, so the
// time includes the client library's cost per event on one core, as in the fan-out row.
import { EV, topicName } from '../lib/payload.mjs';
import { pool, sleep, within } from '../lib/limits.mjs';
import { median } from '../lib/stats.mjs';

export async function run(lib, p, ctx) {
  const deadline = Date.now() + p.budgetMs - 1000;
  const clients = [];
  await pool(p.clients, 100, async (i) => void clients.push(await lib.connect({ port: p.port, uid: `u${i}`, transport: p.transport })), deadline);
  let k = -1;
  let got = 0;
  let onAll = () => undefined;
  clients.forEach((c, i) => c.join(topicName(i % p.topics), (id, d) => id === EV.fan && d.n === k && ++got === clients.length && onAll()));
  // Every membership in place (the server's count), so no round waits for a join.
  while ((await clients[0].request(EV.members, { topics: p.topics })) !== clients.length) {
    if (Date.now() > deadline) throw new Error('topic fan-out: not every client joined in time');
    await sleep(20);
  }
  const round = async (n) => {
    await sleep(p.gapMs ?? 0);
    k = n;
    got = 0;
    const all = new Promise((resolve) => (onAll = resolve));
    const t0 = process.hrtime.bigint();
    clients[0].emit(EV.topicFanout, { n, topics: p.topics, text: 'hello world' });
    await within(all, Math.max(1, deadline - Date.now()), `topic fan-out round ${n} (${got} of ${clients.length})`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  await round(0);
  await round(1);
  const times = [];
  const a = await ctx.cpu();
  for (let r = 0; r < p.rounds; r++) times.push(await round(2 + r));
  const b = await ctx.cpu();
  for (const c of clients) c.close();
  const ms = median(times);
  return { ms, deliveriesPerSec: Math.round((clients.length / ms) * 1000), rounds: times.map((t) => +t.toFixed(2)), cpu: ctx.cpuShare(a, b) };
}
