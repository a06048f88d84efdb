// Writes the `.d.mts` that each `exports` entry's `import` condition names: it re-exports the entry's
// declarations from dist/types (which TypeScript reads as CommonJS, like the `.cjs` they describe), so that
// under node16/nodenext an `import` sees ESM types for the ESM file and a `require` sees CJS types for the CJS file.
// Run by `npm run build` after tsc; package.json `exports` is the only list it reads.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, relative, join } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let failed = false;
for (const [subpath, target] of Object.entries(exports)) {
  if (typeof target === 'string') continue;
  const esm = target.import?.types;
  const cjs = target.require?.types;
  if (!esm?.endsWith('.d.mts') || !cjs?.endsWith('.d.ts')) {
    console.error(`package.json exports["${subpath}"]: import.types must be a .d.mts and require.types a .d.ts`);
    failed = true;
    continue;
  }
  if (!existsSync(join(root, cjs))) {
    console.error(`package.json exports["${subpath}"]: ${cjs} was not emitted by tsc`);
    failed = true;
    continue;
  }
  const from = join(root, esm);
  let spec = relative(dirname(from), join(root, cjs.replace(/\.d\.ts$/, '.js'))).split('\\').join('/');
  if (!spec.startsWith('.')) spec = `./${spec}`;
  mkdirSync(dirname(from), { recursive: true });
  writeFileSync(from, `export * from '${spec}';\n`);
}
process.exit(failed ? 1 : 0);
