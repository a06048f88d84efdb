// Builds every entry point as ESM (.mjs) and CJS (.cjs), plus a minified browser bundle of the client
// (IIFE, rxjs included) used by the demo and the bundle-size benchmark. Declarations come from
// `tsc -p tsconfig.build.json` (see the `build` script).
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const entries = {
  index: 'src/index.ts',
  client: 'src/client/index.ts',
  server: 'src/server/index.ts',
  msgpack: 'src/packers/msgpack.ts',
  testing: 'src/testing/index.ts',
  node: 'src/node/index.ts',
};

// Everything from node_modules and Node built-ins stays external in the library builds.
const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[A-Za-z]:/.test(id);

const ts = () => typescript({ tsconfig: './tsconfig.json', compilerOptions: { declaration: false, sourceMap: true, outDir: undefined }, include: ['src/**/*.ts'] });

export default [
  {
    input: entries,
    external,
    plugins: [ts()],
    output: [
      { dir: 'dist/esm', format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs', sourcemap: true },
      { dir: 'dist/cjs', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, exports: 'named' },
    ],
  },
  {
    // Browser bundle: the client plus the JSON packer and errors, rxjs inlined, no Node built-ins.
    input: 'src/browser.ts',
    plugins: [resolve({ browser: true }), ts(), terser()],
    output: { file: 'dist/browser/sente-rx.min.js', format: 'iife', name: 'SenteRx', sourcemap: true },
  },
];
