import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { dirname, join, relative } from 'path';
import ts from 'typescript';

const SRC = join(__dirname, '../../../src');

/**
 * Transpiles src/ (TypeScript's own transpileModule, per file, no type check: ~1 s) to CommonJS in a fresh
 * directory, so child processes run the current sources without waiting for a full build (`npm run build`
 * takes minutes on a shared machine). Answers the directory and a cleanup.
 */
export function transpiledSources(): { dir: string; remove: () => void } {
  // Under node_modules/.cache, so the output resolves the repo's dependencies (rxjs, ws, ioredis) as src/ does.
  const cache = join(__dirname, '../../../node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'chsk-src-'));
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = ts.transpileModule(readFileSync(p, 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
          fileName: p,
        }).outputText;
        const to = join(dir, relative(SRC, p)).replace(/\.ts$/, '.js');
        mkdirSync(dirname(to), { recursive: true });
        writeFileSync(to, out);
      }
    }
  };
  walk(SRC);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
