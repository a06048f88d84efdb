import { execFileSync } from 'child_process';
import { existsSync, readFileSync, readdirSync } from 'fs';
import { join } from 'path';

// Checks the built package (npm run build): the exports map resolves in both module systems, and the client
// entry and the browser bundle pull in no ws, express or Node built-in.
const root = join(__dirname, '..', '..');
const built = existsSync(join(root, 'dist', 'esm', 'client.mjs')) && existsSync(join(root, 'dist', 'types', 'index.d.ts'));
if (!built && process.env.CI === 'true') throw new Error('dist/ is missing: CI must run npm run build before the tests');
if (!built) console.warn('skipping build checks: run npm run build first');
const maybe = built ? describe : describe.skip;

/** Bare import specifiers of an ESM file and the chunks it imports, followed transitively. */
function bareImports(file: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  const src = readFileSync(file, 'utf8');
  // Rollup writes import statements at the start of a line; doc comments (which show examples) start with ' *'.
  for (const m of src.matchAll(/^(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm)) {
    const spec = (m[1] ?? m[2])!;
    if (spec.startsWith('.')) for (const s of bareImports(join(file, '..', spec), seen)) out.add(s);
    else out.add(spec);
  }
  return out;
}

maybe('the built package', () => {
  test.each(['sente-rx', 'sente-rx/client', 'sente-rx/server', 'sente-rx/msgpack', 'sente-rx/testing', 'sente-rx/node', 'sente-rx/react', 'sente-rx/angular'])(
    '%s loads through the exports map with require() and import()',
    (entry) => {
      const cjs = execFileSync(process.execPath, ['-e', `console.log(Object.keys(require(${JSON.stringify(entry)})).length)`], { cwd: root });
      const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(entry)}); console.log(Object.keys(m).length)`], { cwd: root });
      expect(Number(cjs.toString())).toBeGreaterThan(0);
      expect(Number(esm.toString())).toBe(Number(cjs.toString()));
    },
  );

  test('sente-rx/client imports nothing but rxjs (no ws, express or Node built-ins)', () => {
    expect([...bareImports(join(root, 'dist', 'esm', 'client.mjs'))].sort()).toEqual(['rxjs']);
  });

  test.each([
    ['react', ['react', 'rxjs']],
    ['angular', ['@angular/core', 'rxjs']],
  ])('sente-rx/%s imports its framework and rxjs only (the client comes as a shared chunk, not twice)', (entry, deps) => {
    expect([...bareImports(join(root, 'dist', 'esm', `${entry}.mjs`))].sort()).toEqual(deps);
    const clientChunks = (f: string) => readFileSync(join(root, 'dist', 'esm', f), 'utf8').match(/chunks\/createChannelSocketClient-[\w-]+\.mjs/g);
    expect(new Set(clientChunks(`${entry}.mjs`))).toEqual(new Set(clientChunks('client.mjs')));
  });

  test('the browser bundle is self-contained', () => {
    const bundle = readFileSync(join(root, 'dist', 'browser', 'sente-rx.min.js'), 'utf8');
    expect(bundle).not.toMatch(/\brequire\(/);
    // An IIFE that imported anything (ws, express, a Node built-in) would need require/import to reach it.
    expect(bundle).not.toMatch(/\brequire\(|\bimport\(|\bprocess\.|\bBuffer\./);
  });

  test('every entry has declarations', () => {
    for (const d of ['index.d.ts', 'client/index.d.ts', 'server/index.d.ts', 'packers/msgpack.d.ts', 'testing/index.d.ts', 'react/index.d.ts', 'angular/index.d.ts']) {
      expect(existsSync(join(root, 'dist', 'types', d))).toBe(true);
    }
    expect(readdirSync(join(root, 'dist', 'cjs')).filter((f) => f.endsWith('.cjs')).length).toBeGreaterThanOrEqual(5);
    // Each exports entry names ESM declarations (.d.mts, from scripts/esmTypes.mjs) and CJS ones (.d.ts).
    const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { import: { types: string }; require: { types: string } }> };
    for (const target of Object.values(exports)) {
      if (typeof target === 'string') continue;
      expect([target.import.types, existsSync(join(root, target.import.types))]).toEqual([target.import.types, true]);
      expect([target.require.types, existsSync(join(root, target.require.types))]).toEqual([target.require.types, true]);
    }
  });
});
