// What takes space in the sente-rx browser bundle: bundles the same entry as scenarios/bundle.mjs without
// minifying, then minifies each module's rendered code on its own and reports min and min+gzip per module,
// grouped (sente-rx files, rxjs files). Per-module gzip sizes do not add up to the bundle's (gzip shares a
// dictionary across modules); they rank where the bytes are.
//   node benchmarks/tools/bundle-breakdown.mjs [--es2015] [--full]
// Default: the WebSocket-only client (createWebSocketClient); --full: createChannelSocketClient (type 'auto').
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import resolve from '@rollup/plugin-node-resolve';
import { minify } from 'terser';
import { distDir } from '../lib/dist.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const es2015 = process.argv.includes('--es2015');
const factory = process.argv.includes('--full') ? 'createChannelSocketClient' : 'createWebSocketClient';
const id = `${root}benchmarks/__bundle_entry__.mjs`;
const code = `
import { ${factory} as create } from ${JSON.stringify(`${distDir}/esm/client.mjs`)};
const chsk = create({ url: '/chsk' });
chsk.events$.subscribe((ev) => console.log('push', ev));
chsk.send(['demo/echo', { text: 'hi' }], { timeoutMs: 5000 }).subscribe((r) => console.log('reply', r));
`;
const bundle = await rollup({
  input: id,
  plugins: [
    { name: 'entry', resolveId: (s) => (s === id ? id : null), load: (x) => (x === id ? code : null) },
    resolve({ browser: true, exportConditions: es2015 ? ['es2015'] : [] }),
  ],
  onwarn: () => undefined,
});
const { output } = await bundle.generate({ format: 'es' });
const rows = [];
for (const [mid, m] of Object.entries(output[0].modules)) {
  if (!m.code || m.renderedLength === 0) continue;
  const min = (await minify(m.code, { module: false, toplevel: false, compress: true, mangle: true })).code ?? '';
  rows.push({ mod: mid.replace(/^.*\/node_modules\//, '').replace(`${distDir}/`, 'dist/').replace(root, ''), min: min.length, gz: gzipSync(min, { level: 9 }).length });
}
rows.sort((a, b) => b.min - a.min);
const group = (pred) => rows.filter(pred).reduce((a, r) => ({ min: a.min + r.min, gz: a.gz + r.gz, n: a.n + 1 }), { min: 0, gz: 0, n: 0 });
const rx = group((r) => r.mod.startsWith('rxjs/') || r.mod.startsWith('tslib'));
const own = group((r) => r.mod.startsWith('dist/'));
console.log(`rxjs ${es2015 ? '(es2015 build)' : '(default build: esm5)'} + tslib: ${rx.n} modules, ${rx.min} B min, ~${rx.gz} B gzip (summed per module)`);
console.log(`sente-rx: ${own.n} modules, ${own.min} B min, ~${own.gz} B gzip (summed per module)`);
for (const r of rows) console.log(`${String(r.min).padStart(6)} B min ${String(r.gz).padStart(6)} B gz  ${r.mod}`);
