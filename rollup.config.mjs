// Builds every entry point as ESM (.mjs) and CJS (.cjs), plus a minified browser bundle of the client
// (IIFE, rxjs included) used by the demo and the bundle-size benchmark. Declarations come from
// `tsc -p tsconfig.build.json`, and scripts/esmTypes.mjs writes each entry's `.d.mts` (see the `build` script).
//
// Adding an entry: one line in `entries` below, one block in package.json `exports`, one line in its
// `typesVersions` and one in typedoc.json `entryPoints` (spec/build/ and `attw --pack` check the first three).
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

/**
 * name (dist/{esm,cjs}/<name>.{mjs,cjs}) -> source, and the optional peer dependencies the entry needs at run
 * time (the CommonJS build checks them first and names the missing ones; see peerCheck).
 */
const entries = {
  index: { src: 'src/index.ts' },
  client: { src: 'src/client/index.ts' },
  server: { src: 'src/server/index.ts', peers: ['ws', 'express'] },
  msgpack: { src: 'src/packers/msgpack.ts', peers: ['@msgpack/msgpack'] },
  testing: { src: 'src/testing/index.ts' },
  node: { src: 'src/node/index.ts' },
  react: { src: 'src/react/index.ts', peers: ['react'] },
  angular: { src: 'src/angular/index.ts', peers: ['@angular/core'] },
  redis: { src: 'src/redis/index.ts', peers: ['ioredis'] },
};

/**
 * Code put before the `require`s of a CJS entry that needs optional peers: a missing one is an Error that says
 * what to install, not `Cannot find module` from deep inside a chunk. (ESM links every import before running any
 * code; there Node's own error names the missing package.)
 */
function peerCheck(name) {
  const peers = entries[name]?.peers;
  if (!peers) return '';
  const entry = name === 'index' ? 'sente-rx' : `sente-rx/${name}`;
  return `(function (entry, peers) {
  var missing = peers.filter(function (p) {
    try { require.resolve(p); return false; } catch (e) { if (e && e.code === 'MODULE_NOT_FOUND') return true; throw e; }
  });
  if (missing.length > 0) {
    throw new Error(entry + ' needs ' + missing.join(' and ') + ' (optional peer dependencies of sente-rx, not installed): npm install ' + peers.join(' '));
  }
})(${JSON.stringify(entry)}, ${JSON.stringify(peers)});`;
}

const input = Object.fromEntries(Object.entries(entries).map(([name, { src }]) => [name, src]));

// Everything from node_modules and Node built-ins stays external in the library builds.
const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[A-Za-z]:/.test(id);

const ts = () => typescript({ tsconfig: './tsconfig.json', compilerOptions: { declaration: false, sourceMap: true, outDir: undefined }, include: ['src/**/*.ts'] });

export default [
  {
    input,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist/esm', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', sourcemap: true },
      {
        dir: 'dist/cjs',
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: 'chunks/[name]-[hash].cjs',
        sourcemap: true,
        exports: 'named',
        intro: (chunk) => (chunk.isEntry ? peerCheck(chunk.name) : ''),
      },
    ],
  },
  {
    // Browser bundle: the client plus the JSON packer and errors, rxjs inlined, no Node built-ins.
    input: 'src/browser.ts',
    plugins: [resolve({ browser: true }), ts(), terser()],
    output: { file: 'dist/browser/sente-rx.min.js', format: 'iife', name: 'SenteRx', sourcemap: true },
  },
];
