// sente-rx side of the benchmark server: the BUILT package (dist/cjs/server.cjs) behind Express, as a user
// would run it. The uid of a connection is its `uid` query parameter. Options from the runner:
//   wsBatchMs, ajaxBatchMs (passed through when set; an unknown option is ignored by builds without batching),
//   keepUrlOnly (keepRequest: (req) => ({ url: req.url })),
//   zodEcho: `bench/echo-zod` gets Zod schemas for its data and reply (`bench/echo` stays without), so one run
//     measures a request with and without validation on the same server (the reqrep-zod row),
//   extra: any further server options (run.mjs --sente-server='{"keepAlive":false}'), for experiments.
// `rateLimit: false`: the default per-connection limit (200 msgs/s, burst 400) refuses exactly what these
// scenarios do, thousands of requests per second over one connection.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import express from 'express';
import { filter, firstValueFrom, map } from 'rxjs';
import { EV, payload, pushLoop, topicName } from '../lib/payload.mjs';

import { distDir } from '../lib/dist.mjs';

const require = createRequire(import.meta.url);
const { createChannelSocketServer } = require(`${distDir}/cjs/server.cjs`);
const { replyStream } = require(`${distDir}/cjs/index.cjs`);

/** n benchmark payloads, made as the stream pulls them. */
function* items(n) {
  for (let i = 0; i < n; i++) yield payload(i);
}

export async function start(opts) {
  const batching = {};
  if (opts.wsBatchMs !== undefined) batching.wsBatchMs = opts.wsBatchMs;
  if (opts.ajaxBatchMs !== undefined) batching.ajaxBatchMs = opts.ajaxBatchMs;
  // keepUrlOnly: msg.req keeps only the URL instead of the whole upgrade request (the keepRequest option).
  if (opts.keepUrlOnly) batching.keepRequest = (req) => ({ url: req.url });
  if (opts.zodEcho) {
    // Zod is a dev dependency: imported only for this row.
    const { z } = await import('zod');
    const echo = z.object({ n: z.number().int(), text: z.string().max(1000) });
    batching.schemas = { [EV.echoZod]: { data: echo, reply: echo } };
  }
  const chsk = createChannelSocketServer({
    userId: (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('uid'),
    rateLimit: false,
    // Topics: membership checks on, allowing every join (the topic fan-out row); the check runs per join.
    authorizeTopic: (_req, uid, topic) => uid !== null && topic.startsWith('bench/t'),
    ...batching,
    ...(opts.extra ?? {}),
  });
  const app = express();
  app.use('/chsk', chsk.router);
  const http = createServer(app);
  chsk.attach(http);
  chsk.events$.subscribe((m) => {
    switch (m.id) {
      case EV.echo:
      case EV.echoZod:
        return m.reply?.(m.data);
      case EV.push:
        return pushLoop(m.data.n, (i) => chsk.send(m.uid, [EV.ev, { n: i, text: 'hello world' }]));
      case EV.fanout:
        return void chsk.broadcast([EV.fan, m.data]);
      case EV.topicFanout:
        for (let i = 0; i < m.data.topics; i++) chsk.publish(topicName(i), [EV.fan, { n: m.data.n, text: m.data.text }]);
        return;
      case EV.members: {
        const sizes = Array.from({ length: m.data.topics }, (_, i) => firstValueFrom(chsk.topicUids$(topicName(i)).pipe(map((u) => u.size))));
        return void Promise.all(sizes).then((s) => m.reply?.(s.reduce((a, b) => a + b, 0)));
      }
    }
  });
  // Streamed replies (the stream row): the handler answers with replyStream over an Iterable source.
  chsk.handle((msg$) => msg$.pipe(filter((m) => m.id === EV.stream), map((m) => replyStream(m, items(m.data.n)))));
  // The catch-up row (server.mjs 'push'): n pushes to uid, { n: first + i }, in one turn.
  const push = (uid, first, n) => {
    for (let i = 0; i < n; i++) chsk.send(uid, [EV.ev, { n: first + i, text: 'hello world' }]);
  };
  return { http, push };
}
