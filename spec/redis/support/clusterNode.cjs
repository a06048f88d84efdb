// One node of the multi-process cluster tests (spec/redis/processes.spec.ts): a real server (Express + http on
// port 0) with the Redis adapter, loaded from the current sources transpiled to CommonJS (CHSK_LIB) or the built package (dist/). It is
// driven by its parent over IPC: { rid, cmd: 'send' | 'broadcast' | 'publish' | 'watchTopic' | 'stats' | 'close', ... }
// answered with { rid, ok, value }, and it reports on its own: { type: 'ready', url, nodeId }, { type: 'uids', any }
// on every change of connectedUids$, { type: 'port', id, uid } for each uidport event, { type: 'error', code } for
// errors$, { type: 'topicUids', topic, uids } on every change of a watched topicUids$. Every topic may be joined;
// a request 'x/echo' is answered { node, d }.
const path = require('path');
const { createServer } = require('http');
const express = require('express');

// CHSK_LIB: the sources transpiled to CommonJS (spec/redis/support/transpiledSources.ts), or the built package.
const lib = process.env.CHSK_LIB;
const { createChannelSocketServer } = require(lib ? `${lib}/server/index.js` : path.resolve(__dirname, '../../../dist/cjs/server.cjs'));
const { createRedisAdapter } = require(lib ? `${lib}/redis/index.js` : path.resolve(__dirname, '../../../dist/cjs/redis.cjs'));

const o = JSON.parse(process.argv[2]);
const send = (m) => process.connected && process.send(m);

const adapter = createRedisAdapter({
  url: o.url,
  keyPrefix: o.prefix,
  nodeId: o.nodeId,
  heartbeatMs: o.heartbeatMs,
  nodeTimeoutMs: o.nodeTimeoutMs,
  // Reconnect quickly after a Redis restart (the default backs off up to 2 s).
  redisOptions: { retryStrategy: () => 50 },
});
const chsk = createChannelSocketServer({
  adapter,
  userId: (req) => new URL(req.url || '/', 'http://x').searchParams.get('uid'),
  wsBatchMs: 0,
  wsGraceMs: o.graceMs,
  ajaxGraceMs: o.graceMs,
  statsIntervalMs: 50,
  authorizeTopic: () => true,
});
const app = express();
app.use('/chsk', chsk.router);
const http = createServer(app);
chsk.attach(http);

chsk.connectedUids$.subscribe((u) => send({ type: 'uids', any: [...u.any] }));
chsk.events$.subscribe((m) => {
  if (m.id === 'chsk/uidport-open' || m.id === 'chsk/uidport-close') send({ type: 'port', id: m.id, uid: m.data });
  // Requests 'x/echo' are answered with the node that handled them (spec/redis/ajaxProcesses.spec.ts).
  if (m.id === 'x/echo' && m.reply) m.reply({ node: o.nodeId, d: m.data });
  // Requests 'x/held' are reported and answered only on the 'release' command (spec/redis/processes.spec.ts).
  if (m.id === 'x/held' && m.reply) held.push(m), send({ type: 'handled', id: m.id, data: m.data });
});
const held = [];
chsk.errors$.subscribe((e) => send({ type: 'error', code: e.code }));
let last;
chsk.stats$.subscribe((s) => (last = s));

const commands = {
  send: (m) => chsk.send(m.uid, m.event),
  broadcast: (m) => chsk.broadcast(m.event),
  publish: (m) => chsk.publish(m.topic, m.event),
  watchTopic: (m) => {
    chsk.topicUids$(m.topic).subscribe((u) => send({ type: 'topicUids', topic: m.topic, uids: [...u] }));
    return true;
  },
  stats: () => last ?? null,
  release: () => {
    for (const m of held.splice(0)) m.reply(`answered on ${o.nodeId}`);
    return true;
  },
  close: async () => {
    await chsk.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(() => r()));
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', async (m) => {
  try {
    send({ rid: m.rid, ok: true, value: (await commands[m.cmd](m)) ?? null });
  } catch (e) {
    send({ rid: m.rid, ok: false, value: String(e && e.message) });
  }
});
process.on('disconnect', () => process.exit(0)); // the test process went away: never outlive it

adapter.whenReady().then(() =>
  http.listen(0, '127.0.0.1', () => send({ type: 'ready', url: `http://127.0.0.1:${http.address().port}/chsk`, nodeId: o.nodeId })),
);
