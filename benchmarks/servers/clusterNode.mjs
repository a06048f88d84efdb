// One node of the cluster benchmark (benchmarks/cluster.mjs): sente-rx with createRedisAdapter, or Socket.IO 4.8
// with @socket.io/redis-adapter, on port 0, driven over IPC. Both are set up as their docs say; a uid is a
// Socket.IO room (`u:<uid>`, joined on connection), as Socket.IO's docs do for "send to a user".
// IPC in: { rid, cmd: 'send'|'broadcast'|'count' }. Out: { type: 'ready', port }, { rid, value }.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { distDir } from '../lib/dist.mjs';

const require = createRequire(import.meta.url);
const o = JSON.parse(process.argv[2]);
const reply = (rid, value) => process.send({ rid, value });
process.on('disconnect', () => process.exit(0));

let api;
const http = createServer();
if (o.lib === 'sente') {
  const express = require('express');
  const { createChannelSocketServer } = require(`${distDir}/cjs/server.cjs`);
  const { createRedisAdapter } = require(`${distDir}/cjs/redis.cjs`);
  const adapter = createRedisAdapter({ url: o.url, keyPrefix: o.prefix, heartbeatMs: o.heartbeatMs, nodeTimeoutMs: o.nodeTimeoutMs });
  const chsk = createChannelSocketServer({ adapter, userId: (req) => new URL(req.url, 'http://x').searchParams.get('uid'), wsBatchMs: 0 });
  const app = express();
  app.use('/chsk', chsk.router);
  http.on('request', app);
  chsk.attach(http);
  let uids = 0;
  chsk.connectedUids$.subscribe((u) => (uids = u.any.size));
  await adapter.whenReady();
  api = {
    send: (m) => chsk.send(m.uid, ['b/ev', m.data]),
    broadcast: (m) => {
      for (let i = 0; i < m.n; i++) chsk.broadcast(['b/fan', m.data]);
    },
    count: () => uids, // the node's replica: no round trip
  };
} else {
  const { Server } = require('socket.io');
  const { createAdapter } = require('@socket.io/redis-adapter');
  const pub = new Redis(o.url);
  const sub = pub.duplicate();
  const io = new Server(http, { perMessageDeflate: false, adapter: createAdapter(pub, sub, { key: o.prefix, requestsTimeout: o.nodeTimeoutMs }) });
  io.on('connection', (s) => s.join(`u:${s.handshake.query.uid}`));
  api = {
    send: (m) => io.to(`u:${m.uid}`).emit('b/ev', m.data),
    broadcast: (m) => {
      for (let i = 0; i < m.n; i++) io.emit('b/fan', m.data);
    },
    // Socket.IO has no presence: the cluster-wide view is fetchSockets(), a request to every node.
    // (It rejects when a node does not answer within requestsTimeout: not converged yet.)
    count: async () => io.fetchSockets().then((ss) => new Set(ss.map((s) => s.handshake.query.uid)).size, () => -1),
  };
}
process.on('message', async (m) => reply(m.rid, (await api[m.cmd](m)) ?? null));
http.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: http.address().port }));
