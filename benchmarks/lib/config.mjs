// What runs: the scenarios, their sizes per mode (full / quick / smoke), which libraries take part, and
// the targets. A target compares sente-rx to one peer: `ratio` is sente-rx ÷ peer of the metric;
// `min` means the ratio must be at least x, `max` at most x. Options under `server` apply to sente-rx only, so
// in "push, batching on" the peers run unbatched, as the issue asks; they run again in the same block so that
// every ratio compares runs made minutes apart at most. (`peersFrom: '<id>'` would reuse another block's peers.)

export const LIBS = {
  sente: 'sente-rx',
  ws: 'ws',
  socketio: 'Socket.IO',
};

export const MODES = {
  full: {
    runs: 7,
    heavyRuns: 5,
    push: { n: 100_000, warmup: 20_000 },
    reqrep1: { n: 20_000, warmup: 2_000 },
    reqrep64: { n: 50_000, warmup: 5_000 },
    fanout: { clients: 2_000, rounds: 15, gapMs: 100 },
    topicFanout: { clients: 2_000, topics: 100, rounds: 15, gapMs: 100 },
    stream: { n: 100_000, warmup: 10_000 },
    memory: { connections: 2_000 },
    presence: { uids: 20_000 },
    ajaxPush: { n: 20_000, warmup: 2_000 },
    ajaxReqrep: { n: 2_000, warmup: 200 },
    reconnect: { clients: 2_000, downMs: 20_000, sliceMs: 250, budgetMs: 120_000 },
    catchUp: { missed: 1_000, rounds: 9, warmup: 1_000 },
    reconnectRuns: 3,
    budgetMs: 60_000,
  },
  quick: {
    runs: 3,
    heavyRuns: 2,
    push: { n: 30_000, warmup: 5_000 },
    reqrep1: { n: 5_000, warmup: 500 },
    reqrep64: { n: 15_000, warmup: 1_500 },
    fanout: { clients: 500, rounds: 5, gapMs: 100 },
    topicFanout: { clients: 500, topics: 25, rounds: 5, gapMs: 100 },
    stream: { n: 30_000, warmup: 3_000 },
    memory: { connections: 500 },
    presence: { uids: 5_000 },
    ajaxPush: { n: 5_000, warmup: 500 },
    ajaxReqrep: { n: 500, warmup: 50 },
    reconnect: { clients: 500, downMs: 5_000, sliceMs: 250, budgetMs: 45_000 },
    catchUp: { missed: 1_000, rounds: 5, warmup: 1_000 },
    reconnectRuns: 1,
    budgetMs: 30_000,
  },
  smoke: {
    runs: 1,
    heavyRuns: 1,
    push: { n: 500, warmup: 50 },
    reqrep1: { n: 100, warmup: 10 },
    reqrep64: { n: 200, warmup: 20 },
    fanout: { clients: 20, rounds: 1, gapMs: 100 },
    topicFanout: { clients: 20, topics: 4, rounds: 1, gapMs: 100 },
    stream: { n: 500, warmup: 50 },
    memory: { connections: 20, settleMs: 50 }, // shorter waits before the heap readings: smoke checks the harness only
    presence: { uids: 1_000 },
    ajaxPush: { n: 100, warmup: 10 },
    ajaxReqrep: { n: 20, warmup: 2 },
    reconnect: { clients: 10, downMs: 0, sliceMs: 250, budgetMs: 15_000 },
    catchUp: { missed: 1_000, rounds: 1, warmup: 100 },
    reconnectRuns: 1,
    budgetMs: 15_000,
  },
};

const throughput = (key, label, unit) => ({ key, label, unit, better: 'higher' });
const cost = (key, label, unit) => ({ key, label, unit, better: 'lower' });

/**
 * Scenarios in run order. `runs`: 'runs', 'heavyRuns' or 'reconnectRuns' of the mode. A target on `abs` is an
 * absolute bound on sente-rx's own value (`{ abs: { max: 10 } }`: at most 10 in the metric's unit).
 */
export function scenarios(mode) {
  const m = MODES[mode];
  return [
    {
      id: 'push-off',
      title: 'push, batching off',
      file: 'push',
      libs: ['sente', 'ws', 'socketio'],
      server: { sente: { wsBatchMs: 0, ajaxBatchMs: 0 } },
      params: { ...m.push, transport: 'ws' },
      runs: 'runs',
      metrics: [
        { ...throughput('eventsPerSec', `${m.push.n.toLocaleString('en-US')} events`, 'ev/s'), targets: { ws: { min: 0.9 }, socketio: { min: 1.5 } } },
        cost('serverUsPerEvent', 'server CPU per event', 'µs'),
        cost('clientUsPerEvent', 'client CPU per event', 'µs'),
      ],
    },
    {
      id: 'push-on',
      title: 'push, batching on (peers unbatched)',
      file: 'push',
      libs: ['sente', 'ws', 'socketio'],
      server: { sente: { wsBatchMs: 30 } },
      params: { ...m.push, transport: 'ws' },
      runs: 'runs',
      metrics: [
        { ...throughput('eventsPerSec', `${m.push.n.toLocaleString('en-US')} events`, 'ev/s'), targets: { ws: { min: 3 } } },
        cost('serverUsPerEvent', 'server CPU per event', 'µs'),
        cost('clientUsPerEvent', 'client CPU per event', 'µs'),
      ],
    },
    ...[1, 64].map((c) => ({
      id: `reqrep-c${c}`,
      title: `req/reply, concurrency ${c}`,
      file: 'reqrep',
      libs: ['sente', 'ws', 'socketio'],
      params: { ...(c === 1 ? m.reqrep1 : m.reqrep64), concurrency: c, transport: 'ws' },
      runs: 'runs',
      metrics: [
        { ...throughput('rps', 'requests/s', 'req/s'), targets: { ws: { min: 0.85 }, socketio: { min: 1.3 } } },
        cost('p50Ms', 'p50 latency', 'ms'),
        { ...cost('p99Ms', 'p99 latency', 'ms'), targets: { socketio: { max: 1 } } },
        cost('serverUsPerReq', 'server CPU per request', 'µs'),
        cost('clientUsPerReq', 'client CPU per request', 'µs'),
      ],
    })),
    {
      id: 'fanout',
      title: `fan-out, ${m.fanout.clients.toLocaleString('en-US')} clients`,
      file: 'fanout',
      libs: ['sente', 'ws', 'socketio'],
      params: { ...m.fanout, transport: 'ws' },
      runs: 'heavyRuns',
      metrics: [{ ...cost('ms', 'time to last client', 'ms'), targets: { ws: { max: 1.2 } } }],
    },
    {
      id: 'fanout-off',
      title: `fan-out, ${m.fanout.clients.toLocaleString('en-US')} clients, wsBatchMs 0`,
      file: 'fanout',
      libs: ['sente', 'ws', 'socketio'],
      server: { sente: { wsBatchMs: 0 } },
      params: { ...m.fanout, transport: 'ws' },
      runs: 'heavyRuns',
      metrics: [{ ...cost('ms', 'time to last client', 'ms'), targets: { ws: { max: 1.2 } } }],
    },
    {
      // Topics vs Socket.IO rooms: one trigger publishes one event to each topic; every client is a member of
      // one topic, joined through authorizeTopic (allowing) on sente-rx, socket.join on Socket.IO.
      id: 'topic-fanout',
      title: `topic fan-out, ${m.topicFanout.clients.toLocaleString('en-US')} members across ${m.topicFanout.topics} topics`,
      file: 'topicFanout',
      libs: ['sente', 'socketio'],
      params: { ...m.topicFanout, transport: 'ws' },
      runs: 'heavyRuns',
      metrics: [
        { ...throughput('deliveriesPerSec', 'deliveries/s', 'ev/s'), targets: { socketio: { min: 1 } } },
        cost('ms', 'time to last member', 'ms'),
      ],
    },
    {
      // One stream$ of n items against n requests of one item each (64 in flight), alternating on one connection.
      id: 'stream',
      title: `streamed reply vs one request per item, ${m.stream.n.toLocaleString('en-US')} items`,
      file: 'stream',
      libs: ['sente'],
      params: { ...m.stream, concurrency: 64, transport: 'ws' },
      runs: 'runs',
      metrics: [throughput('itemsPerSec', 'items/s, one stream$ (window 64)', 'items/s'), throughput('reqItemsPerSec', 'items/s, one request per item (c64)', 'items/s')],
    },
    {
      id: 'memory',
      title: `memory, ${m.memory.connections.toLocaleString('en-US')} idle connections`,
      file: 'memory',
      libs: ['sente', 'ws', 'socketio'],
      params: { ...m.memory, transport: 'ws' },
      runs: 'heavyRuns',
      metrics: [
        { ...cost('heapPerConn', 'heap per connection', 'B'), targets: { ws: { max: 1.5 }, socketio: { max: 0.5 } } },
        cost('rssPerConn', 'RSS per connection', 'B'),
      ],
    },
    {
      id: 'memory-slim',
      title: `memory, ${m.memory.connections.toLocaleString('en-US')} idle connections, keepRequest: url only`,
      file: 'memory',
      libs: ['sente'],
      peersFrom: 'memory',
      server: { sente: { keepUrlOnly: true } },
      params: { ...m.memory, transport: 'ws' },
      runs: 'heavyRuns',
      metrics: [
        { ...cost('heapPerConn', 'heap per connection', 'B'), targets: { ws: { max: 1.5 }, socketio: { max: 0.5 } } },
        cost('rssPerConn', 'RSS per connection', 'B'),
      ],
    },
    {
      // The cost of validating with a schema: the same server answers bench/echo (no schema) and
      // bench/echo-zod (Zod checks its data), in alternating halves over one connection, so both figures come
      // from the same process on the same machine state.
      id: 'reqrep-zod',
      title: 'req/reply without and with a Zod schema, concurrency 64',
      file: 'reqrepSchema',
      libs: ['sente'],
      server: { sente: { zodEcho: true } },
      params: { ...m.reqrep64, concurrency: 64, transport: 'ws' },
      runs: 'runs',
      metrics: [
        throughput('rps', 'requests/s, no schema', 'req/s'),
        throughput('rpsZod', 'requests/s, Zod schema', 'req/s'),
        cost('serverUsPerReq', 'server CPU per request, no schema', 'µs'),
        cost('serverUsPerReqZod', 'server CPU per request, Zod schema', 'µs'),
      ],
    },
    {
      id: 'ajax-reqrep',
      title: 'Ajax req/reply, concurrency 1',
      file: 'reqrep',
      libs: ['sente', 'socketio'],
      params: { ...m.ajaxReqrep, concurrency: 1, transport: 'ajax' },
      runs: 'heavyRuns',
      metrics: [
        { ...throughput('rps', 'requests/s', 'req/s'), targets: { socketio: { min: 2 } } },
        cost('p99Ms', 'p99 latency', 'ms'),
      ],
    },
    {
      id: 'ajax-push',
      title: 'Ajax push',
      file: 'push',
      libs: ['sente', 'socketio'],
      params: { ...m.ajaxPush, transport: 'ajax' },
      runs: 'heavyRuns',
      metrics: [{ ...throughput('eventsPerSec', `${m.ajaxPush.n.toLocaleString('en-US')} events`, 'ev/s'), targets: { socketio: { min: 2 } } }],
    },
    {
      // Reconnect after an outage (issue 10 #12): the server process is killed, stays down params.downMs (20 s in
      // a full run, 5 s quick; smoke: only the restart itself), and a fresh one listens on the same port; every client reconnects with
      // its library's default backoff. Shorter outages than 20 s end before the backoffs reach their caps.
      id: 'reconnect',
      title: `reconnect after a ${m.reconnect.downMs / 1000} s outage, ${m.reconnect.clients.toLocaleString('en-US')} clients`,
      file: 'reconnect',
      libs: ['sente', 'socketio'],
      params: { ...m.reconnect, transport: 'ws' },
      runs: 'reconnectRuns',
      metrics: [
        { ...cost('backMs', 'time until all clients are back', 'ms'), targets: { socketio: { max: 1.2 } } },
        cost('p50BackMs', 'time until half are back', 'ms'),
        { ...cost('maxSlicePct', `most clients back in one ${m.reconnect.sliceMs} ms slice`, '%'), targets: { abs: { max: 10 } } },
      ],
    },
    // Delivery guarantees (issue 12): each row runs two sente-rx servers in one process (server.mjs's twin), one
    // with the option on (its default) and one with it off, and alternates quarters of the work between them.
    {
      id: 'push-resume',
      title: `push with resume on vs off (resume: false), ${m.push.n.toLocaleString('en-US')} events`,
      file: 'twinPush',
      libs: ['sente'],
      server: { sente: { wsBatchMs: 0, twin: { extra: { resume: false } } } },
      params: { ...m.push, transport: 'ws' },
      runs: 'runs',
      metrics: [
        throughput('eventsPerSec', 'events/s, resume on', 'ev/s'),
        throughput('eventsPerSecOff', 'events/s, resume off', 'ev/s'),
        { ...throughput('ratio', 'resume on ÷ off', '×'), targets: { abs: { min: 0.9 } } },
        throughput('cpuRatio', 'CPU-bound estimate: off ÷ on of server CPU per event', '×'),
        cost('serverUsPerEvent', 'server CPU per event, resume on', 'µs'),
        cost('serverUsPerEventOff', 'server CPU per event, resume off', 'µs'),
      ],
    },
    {
      // Memory cannot share a process (the second measurement would find the heap the first one grew), so each
      // run measures the memory row twice, in fresh server processes, once per variant (run.mjs runVariants).
      id: 'memory-resume',
      title: `memory with resume on vs off, ${m.memory.connections.toLocaleString('en-US')} idle connections`,
      file: 'memory',
      libs: ['sente'],
      variants: { on: { server: {}, suffix: '' }, off: { server: { extra: { resume: false } }, suffix: 'Off' } },
      ratioOf: 'heapPerConn',
      params: { ...m.memory, transport: 'ws' },
      runs: 'heavyRuns',
      metrics: [
        cost('heapPerConn', 'heap per connection, resume on', 'B'),
        cost('heapPerConnOff', 'heap per connection, resume off', 'B'),
        { ...cost('ratio', 'resume on ÷ off', '×'), targets: { abs: { max: 1.1 } } },
      ],
    },
    {
      // A cut through a TCP proxy while the server pushes 1,000 events to the client; the time from its reopen
      // until the last of them arrived (replayed from the log). Target: within 100 ms on loopback.
      id: 'catch-up',
      title: `catch-up after a cut that missed ${m.catchUp.missed.toLocaleString('en-US')} pushes`,
      file: 'catchUp',
      libs: ['sente'],
      params: { ...m.catchUp, transport: 'ws' },
      runs: 'heavyRuns',
      metrics: [
        { ...cost('catchUpMs', 'reopen → last missed push', 'ms'), targets: { abs: { max: 100 } } },
        cost('fromRestoreMs', 'link restored → last missed push', 'ms'),
        cost('maxCatchUpMs', 'slowest round, reopen → last missed push', 'ms'),
      ],
    },
    {
      id: 'reqrep-dedupe',
      title: 'req/reply with dedupe on vs off (dedupe: false), concurrency 64',
      file: 'twinReqrep',
      libs: ['sente'],
      server: { sente: { twin: { extra: { dedupe: false } } } },
      params: { ...m.reqrep64, concurrency: 64, transport: 'ws' },
      runs: 'runs',
      metrics: [
        throughput('rps', 'requests/s, dedupe on', 'req/s'),
        throughput('rpsOff', 'requests/s, dedupe off', 'req/s'),
        { ...throughput('ratio', 'dedupe on ÷ off', '×'), targets: { abs: { min: 0.9 } } },
        throughput('cpuRatio', 'CPU-bound estimate: off ÷ on of server CPU per request', '×'),
        cost('serverUsPerReq', 'server CPU per request, dedupe on', 'µs'),
        cost('serverUsPerReqOff', 'server CPU per request, dedupe off', 'µs'),
      ],
    },
    {
      // Opt-in (runs only when named in --only): the reconnect row for sente-rx with the default backoff it had
      // before, full jitter at the 5 s cap too, against the same Socket.IO runs; shows why the default changed.
      id: 'reconnect-full-jitter',
      optIn: true,
      title: `reconnect after a ${m.reconnect.downMs / 1000} s outage, ${m.reconnect.clients.toLocaleString('en-US')} clients, sente-rx with full jitter at the cap`,
      file: 'reconnect',
      libs: ['sente'],
      peersFrom: 'reconnect',
      params: { ...m.reconnect, transport: 'ws', backoff: 'full-at-cap' },
      runs: 'reconnectRuns',
      metrics: [
        { ...cost('backMs', 'time until all clients are back', 'ms'), targets: { socketio: { max: 1.2 } } },
        cost('p50BackMs', 'time until half are back', 'ms'),
        { ...cost('maxSlicePct', `most clients back in one ${m.reconnect.sliceMs} ms slice`, '%'), targets: { abs: { max: 10 } } },
      ],
    },
  ].map((s) => ({ ...s, params: { ...s.params, budgetMs: s.params.budgetMs ?? m.budgetMs } }));
}

/** Absolute target of the bundle row (the issue: ≤ 8 KB gzip; taken as 8 KiB). */
export const BUNDLE_TARGET_BYTES = 8 * 1024;
