import { execFileSync, spawnSync } from 'child_process';
import { builtinModules } from 'module';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

// ws, express and @msgpack/msgpack are optional peer dependencies: an app that installed sente-rx with rxjs
// alone can use the client, and an entry that needs a missing peer says which package to install. Runs against
// the build (npm run build), installed as an app would have it: a copy in node_modules, with rxjs beside it.
const root = join(__dirname, '..', '..');
const built = existsSync(join(root, 'dist', 'cjs', 'server.cjs'));
if (!built && process.env.CI === 'true') throw new Error('dist/ is missing: CI must run npm run build before the tests');
const maybe = built ? describe : describe.skip;

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  dependencies?: Record<string, string>;
};

/** Bare specifiers `require`d by a CJS file and the chunks it requires, transitively. */
function bareRequires(file: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/^var \w+ = require\('([^']+)'\);$/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) for (const s of bareRequires(join(file, '..', spec), seen)) out.add(s);
    else out.add(spec);
  }
  return out;
}

maybe('optional peer dependencies', () => {
  let app: string;
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'sente-rx-app-'));
    const at = join(app, 'node_modules', 'sente-rx');
    mkdirSync(at, { recursive: true });
    cpSync(join(root, 'dist'), join(at, 'dist'), { recursive: true });
    cpSync(join(root, 'package.json'), join(at, 'package.json'));
    symlinkSync(join(root, 'node_modules', 'rxjs'), join(app, 'node_modules', 'rxjs'), 'dir');
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8' });

  test('package.json: rxjs is the only required peer, ws/express/@msgpack/msgpack optional, no dependencies', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    for (const p of ['ws', 'express', '@msgpack/msgpack']) {
      expect(pkg.peerDependencies[p]).toBeDefined();
      expect(pkg.peerDependenciesMeta[p]?.optional).toBe(true);
    }
    expect(pkg.peerDependenciesMeta.rxjs?.optional).not.toBe(true);
  });

  test('with rxjs alone, the root and client entries load in both module systems', () => {
    for (const entry of ['sente-rx', 'sente-rx/client', 'sente-rx/node', 'sente-rx/testing']) {
      expect(run(['-e', `require(${JSON.stringify(entry)})`]).status).toBe(0);
      expect(run(['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`]).status).toBe(0);
    }
  });

  test('require("sente-rx/server") without ws and express says to install them', () => {
    const r = run(['-e', 'require("sente-rx/server")']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('sente-rx/server needs ws and express');
    expect(r.stderr).toContain('npm install ws express');
  });

  test('require("sente-rx/msgpack") without @msgpack/msgpack says to install it', () => {
    const r = run(['-e', 'require("sente-rx/msgpack")']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('npm install @msgpack/msgpack');
  });

  test('import("sente-rx/server") without ws fails naming the package (Node links ESM before running it)', () => {
    const r = run(['--input-type=module', '-e', 'await import("sente-rx/server")']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Cannot find package '(ws|express)'/);
  });

  test('with the peers installed, the server entry loads (the check passes)', () => {
    const out = execFileSync(process.execPath, ['-e', 'console.log(typeof require("sente-rx/server").createChannelSocketServer)'], { cwd: root });
    expect(out.toString().trim()).toBe('function');
  });

  test('every bare import of each CJS entry is rxjs, a Node built-in, or a peer its check names', () => {
    const cjs = join(root, 'dist', 'cjs');
    for (const file of readdirSync(cjs).filter((f) => f.endsWith('.cjs'))) {
      const src = readFileSync(join(cjs, file), 'utf8');
      const checked = /^\}\)\("[^"]+", (\[[^\]]*\])\);$/m.exec(src);
      const peers: string[] = checked ? JSON.parse(checked[1]!) : [];
      for (const spec of bareRequires(join(cjs, file))) {
        if (spec === 'rxjs' || builtinModules.includes(spec.replace(/^node:/, ''))) continue;
        expect({ file, spec, checked: peers.includes(spec) }).toEqual({ file, spec, checked: true });
        expect(pkg.peerDependenciesMeta[spec]?.optional).toBe(true);
      }
    }
  });
});
