// sente-rx side of the load generator: the BUILT client (dist/cjs/client.cjs) on Node with `ws` (Ajax: on
// sente-rx/node's httpFetch), keep-alive off, one `events$` subscription dispatching by id, requests as `firstValueFrom(send(...))`.
// Options: transport 'ws' | 'ajax'; countFrames wraps the WebSocket to count frames (shows batching);
// reconnect: the reconnect row (the client reconnects with its default backoff whatever this says: the
// option exists for Socket.IO's client, whose benchmark connections otherwise do not reconnect); backoff: a
// name in BACKOFFS instead of the default backoff.
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { distinctUntilChanged, filter, firstValueFrom, map, skip, timeout } from 'rxjs';

import { distDir } from '../lib/dist.mjs';

const require = createRequire(import.meta.url);
const { createChannelSocketClient } = require(`${distDir}/cjs/client.cjs`);
const { exponentialBackoff } = require(`${distDir}/cjs/index.cjs`);

/**
 * Backoffs a run may ask for instead of the client's default: 'full-at-cap' (the opt-in reconnect-full-jitter
 * row) is the default before equal jitter at the cap, full jitter over [0, 5 s] on every attempt.
 */
const BACKOFFS = {
  'full-at-cap': () => exponentialBackoff({ initialMs: 1000, maxMs: 5000, factor: 2, jitter: 'full' }),
  // The catch-up row: reconnect 20 ms after each failure, so a round does not wait out a random backoff.
  'fixed-20': () => () => 20,
};
// On Node the Ajax transport runs on sente-rx/node's httpFetch (http with keep-alive), as Socket.IO's Node client
// runs its polling on http; Node's global fetch (undici) costs about three times as much per request. Builds
// without that entry fall back to the global fetch.
const httpFetch = (() => {
  try {
    return require(`${distDir}/cjs/node.cjs`).httpFetch;
  } catch {
    return undefined;
  }
})();

export const stats = { frames: 0 };

class CountingWebSocket extends WebSocket {
  get onmessage() {
    return super.onmessage;
  }
  set onmessage(fn) {
    super.onmessage = fn ? (ev) => (stats.frames++, fn(ev)) : fn;
  }
}

/** True when this build of the client accepts `type` (the Ajax transport throws a ConfigError before it exists). */
export function supports(transport) {
  if (transport === 'ws') return true;
  try {
    const c = createChannelSocketClient({ url: 'http://127.0.0.1:9/chsk', type: transport, autoConnect: false, keepAlive: false });
    c.disconnect();
    return true;
  } catch {
    return false;
  }
}

export async function connect({ port, uid, transport = 'ws', countFrames = false, timeoutMs = 30_000, backoff }) {
  const c = createChannelSocketClient({
    url: `http://127.0.0.1:${port}/chsk`,
    WebSocket: countFrames ? CountingWebSocket : WebSocket,
    keepAlive: false,
    params: { uid },
    ...(backoff ? { backoff: BACKOFFS[backoff]() } : {}),
    ...(transport === 'ws' ? {} : { type: transport, ...(httpFetch ? { fetch: httpFetch() } : {}) }),
  });
  const handlers = new Map();
  c.events$.subscribe(([id, data]) => handlers.get(id)?.(data));
  await firstValueFrom(c.state$.pipe(filter((s) => s.open), timeout(timeoutMs)));
  return {
    on: (id, fn) => void handlers.set(id, fn),
    request: (id, data) => firstValueFrom(c.send([id, data], { timeoutMs })),
    emit: (id, data) => void c.emit([id, data]).subscribe({ error: () => undefined }),
    /** Joins `topic` (topic$; the server's authorizeTopic decides) and calls fn(id, data) for each of its events. */
    join: (topic, fn) => void c.topic$(topic).subscribe({ next: ([id, data]) => fn(id, data), error: () => undefined }),
    /** Streams request [id, data] (stream$) and calls fn(item) for each item; resolves when the stream completes. */
    stream: (id, data, fn) => new Promise((resolve, reject) => c.stream$([id, data], { timeoutMs }).subscribe({ next: fn, error: reject, complete: resolve })),
    /**
     * Calls fn(recovery) each time the client opens again after its first open (a handshake on a new link), with
     * what the reopen recovered (`state$.value.recovery`: { recovered, replayed }; null on builds without resume).
     */
    onReopen: (fn) =>
      void c.state$
        .pipe(map((s) => s.open), distinctUntilChanged(), filter(Boolean), skip(1))
        .subscribe(() => fn(c.state$.value.recovery ?? null)),
    close: () => c.disconnect(),
  };
}
