// Browser bundle size. Rollup (+ @rollup/plugin-node-resolve with browser: true, + @rollup/plugin-terser with
// its defaults) bundles a tiny entry that connects, sends a request and receives pushes:
//   - sente-rx, full: createChannelSocketClient from the BUILT ESM client (dist/esm/client.mjs), default
//     type 'auto' (WebSocket + Ajax long-poll + the switch between them), JSON packer, rxjs parts included;
//   - sente-rx, lean: createWebSocketClient (WebSocket only), same entry otherwise: the ≤ 8 KB target. Builds
//     without createWebSocketClient report null;
//   - Socket.IO: io() from socket.io-client (which also carries polling + websocket), emitWithAck and onAny;
// as an IIFE, then gzips it with zlib (level 9). Also measured: the shipped full client bundle
// dist/browser/sente-rx.min.js, and the lean sente-rx entry with rxjs left out (what the library itself weighs)
// and with rxjs resolved to its ES2015 build (the `es2015` export condition) instead of the default ES5 one.
// Runs in the runner process: nothing to time, so no server.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { distDir } from '../lib/dist.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

const ENTRIES = {
  sente: `
import { createChannelSocketClient } from ${JSON.stringify(`${distDir}/esm/client.mjs`)};
const chsk = createChannelSocketClient({ url: '/chsk' });
chsk.events$.subscribe((ev) => console.log('push', ev));
chsk.send(['demo/echo', { text: 'hi' }], { timeoutMs: 5000 }).subscribe((r) => console.log('reply', r));
`,
  senteLean: `
import { createWebSocketClient } from ${JSON.stringify(`${distDir}/esm/client.mjs`)};
const chsk = createWebSocketClient({ url: '/chsk' });
chsk.events$.subscribe((ev) => console.log('push', ev));
chsk.send(['demo/echo', { text: 'hi' }], { timeoutMs: 5000 }).subscribe((r) => console.log('reply', r));
`,
  // What the framework bindings add to an app that already uses the full client (the framework left out).
  senteReact: `
import { createElement as h } from 'react';
import { createChannelSocketClient } from ${JSON.stringify(`${distDir}/esm/client.mjs`)};
import { ChannelSocketProvider, useChannelState, useEvent, useRequest, useTopic } from ${JSON.stringify(`${distDir}/esm/react.mjs`)};
const chsk = createChannelSocketClient({ url: '/chsk' });
chsk.events$.subscribe((ev) => console.log('push', ev));
chsk.send(['demo/echo', { text: 'hi' }], { timeoutMs: 5000 }).subscribe((r) => console.log('reply', r));
function App() {
  const s = useChannelState();
  useEvent('demo/push', (d) => console.log(d));
  const r = useRequest(['demo/echo', { text: 'hi' }]);
  const t = useTopic('room/1', (ev) => console.log(ev));
  return h('b', null, s.status, r.status, String(t.error));
}
console.log(h(ChannelSocketProvider, { options: { url: '/chsk' } }, h(App)));
`,
  senteAngular: `
import { createChannelSocketClient } from ${JSON.stringify(`${distDir}/esm/client.mjs`)};
import { provideChannelSocket, injectChannelSocket } from ${JSON.stringify(`${distDir}/esm/angular.mjs`)};
const chsk = createChannelSocketClient({ url: '/chsk' });
chsk.events$.subscribe((ev) => console.log('push', ev));
chsk.send(['demo/echo', { text: 'hi' }], { timeoutMs: 5000 }).subscribe((r) => console.log('reply', r));
console.log(provideChannelSocket({ url: '/chsk' }), () => {
  const c = injectChannelSocket();
  return [c.status(), c.event('demo/push'), c.topic('room/1')];
});
`,
  socketio: `
import { io } from 'socket.io-client';
const socket = io();
socket.onAny((id, data) => console.log('push', id, data));
socket.emitWithAck('demo/echo', { text: 'hi' }).then((r) => console.log('reply', r));
`,
};

/** A virtual entry module placed in the benchmarks folder, so bare imports resolve from the repository. */
function virtualEntry(code) {
  const id = `${root}benchmarks/__bundle_entry__.mjs`;
  return {
    name: 'virtual-entry',
    resolveId: (source) => (source === id ? id : null),
    load: (x) => (x === id ? code : null),
    id,
  };
}

export async function bundleSize(code, { external = [], exportConditions = [] } = {}) {
  const entry = virtualEntry(code);
  const bundle = await rollup({
    input: entry.id,
    external,
    plugins: [entry, resolve({ browser: true, exportConditions }), terser()],
    onwarn: () => undefined,
  });
  const { output } = await bundle.generate({ format: 'iife', name: 'Bench', globals: { rxjs: 'rxjs', react: 'React', '@angular/core': 'ng' } });
  await bundle.close();
  const js = output[0].code;
  return gz(js);
}

const gz = (js) => ({ minBytes: Buffer.byteLength(js), gzipBytes: gzipSync(js, { level: 9 }).length });

/** Bytes `sente-rx/react` and `sente-rx/angular` add to the full-client entry (React and Angular left out). */
async function frameworkDeltas() {
  const frameworks = ['react', '@angular/core'];
  if (!existsSync(`${distDir}/esm/react.mjs`)) return {};
  const base = await bundleSize(ENTRIES.sente, { external: frameworks });
  const delta = (x) => ({ minBytes: x.minBytes - base.minBytes, gzipBytes: x.gzipBytes - base.gzipBytes });
  return {
    reactAdds: delta(await bundleSize(ENTRIES.senteReact, { external: frameworks })),
    angularAdds: delta(await bundleSize(ENTRIES.senteAngular, { external: frameworks })),
  };
}

export async function measureBundles() {
  const shipped = readFileSync(`${distDir}/browser/sente-rx.min.js`, 'utf8');
  const lean = readFileSync(`${distDir}/esm/client.mjs`, 'utf8').includes('createWebSocketClient');
  return {
    sente: await bundleSize(ENTRIES.sente),
    senteLean: lean ? await bundleSize(ENTRIES.senteLean) : null,
    socketio: await bundleSize(ENTRIES.socketio),
    senteShipped: gz(shipped),
    ...(await frameworkDeltas()),
    senteWithoutRxjs: await bundleSize(lean ? ENTRIES.senteLean : ENTRIES.sente, { external: ['rxjs'] }),
    senteRxjsEs2015: await bundleSize(lean ? ENTRIES.senteLean : ENTRIES.sente, { exportConditions: ['es2015'] }),
  };
}
