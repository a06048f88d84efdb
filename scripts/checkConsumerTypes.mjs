// Compiles spec/consumers/*.ts against the built package (dist/, through package.json `exports` or
// `typesVersions`) as an app would, under every moduleResolution a TypeScript user has, with skipLibCheck off:
// - client.ts with `types: []` (no @types/node): the client's and root entry's declarations need no Node types;
// - server.ts with @types/node.
// `attw --pack` checks that every subpath resolves; this checks that what it resolves to compiles. Run after
// `npm run build`; exits non-zero on any error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const modes = [
  { module: 'commonjs', moduleResolution: 'node10' },
  { module: 'nodenext', moduleResolution: 'nodenext' },
  { module: 'esnext', moduleResolution: 'bundler' },
];
const consumers = [
  { file: 'client.ts', types: [], lib: ['ES2020', 'DOM'] },
  { file: 'server.ts', types: ['node'], lib: ['ES2020'] },
  { file: 'react.ts', types: [], lib: ['ES2020', 'DOM'] },
  // Angular's own declarations need node16/nodenext or bundler (they import '@angular/core/primitives/di').
  { file: 'angular.ts', types: [], lib: ['ES2022', 'DOM'], skip: ['node10'] },
];

const dir = mkdtempSync(join(tmpdir(), 'sente-rx-consumer-'));
let status = 1;
try {
  // The app's node_modules: the package itself, and what an app would have installed beside it.
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'sente-rx'), 'dir');
  for (const dep of ['rxjs', 'ws', 'express', '@msgpack/msgpack', '@types/node', '@types/ws', '@types/express', 'react', '@types/react', '@angular/core']) {
    mkdirSync(dirname(join(dir, 'node_modules', dep)), { recursive: true });
    try { symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir'); } catch { /* exists */ }
  }
  // One project per case, all built by one tsc process (`tsc -b`): a case's directory names it in any error.
  const projects = [];
  for (const mode of modes) {
    // node16/nodenext read a .ts file's format from the nearest package.json: check both formats there.
    const formats = mode.moduleResolution === 'node10' || mode.moduleResolution === 'bundler' ? ['commonjs'] : ['commonjs', 'module'];
    for (const c of consumers) {
      if (c.skip?.includes(mode.moduleResolution)) continue;
      for (const type of formats) {
        const name = `${c.file.replace('.ts', '')}-${mode.moduleResolution}-${type}`;
        const at = join(dir, name);
        mkdirSync(at);
        copyFileSync(join(root, 'spec', 'consumers', c.file), join(at, c.file));
        writeFileSync(join(at, 'package.json'), JSON.stringify({ name, private: true, type }));
        writeFileSync(join(at, 'tsconfig.json'), JSON.stringify({
          compilerOptions: { ...mode, strict: true, noEmit: true, skipLibCheck: false, esModuleInterop: true, target: 'ES2020', types: c.types, lib: c.lib },
          files: [c.file],
        }));
        projects.push(name);
      }
    }
  }
  console.log(`compiling ${projects.length} consumers: ${projects.join(', ')}`);
  try {
    execFileSync(process.execPath, [tsc, '-b', ...projects], { cwd: dir, stdio: 'inherit' });
    console.log('all consumers compile');
    status = 0;
  } catch {
    console.log('a consumer does not compile (its directory name says which: entry-moduleResolution-package type)');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
