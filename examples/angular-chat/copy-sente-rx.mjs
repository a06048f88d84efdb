// Puts this repository's build (../../dist + package.json) into node_modules/sente-rx as a plain copy, as
// `npm install sente-rx` would. A `file:../..` link would not do: through it, sente-rx would resolve
// @angular/core from the repository's own node_modules, a second Angular beside this app's (NG0203).
// Run by `npm run build` / `npm start` after the library's `npm run build`.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const target = fileURLToPath(new URL('./node_modules/sente-rx/', import.meta.url));
if (!existsSync(`${repo}dist/esm/angular.mjs`)) {
  console.error('build sente-rx first: npm run build (in the repository root)');
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
cpSync(`${repo}package.json`, `${target}package.json`);
cpSync(`${repo}dist`, `${target}dist`, { recursive: true, filter: (src) => !src.endsWith('.map') && !src.includes('/browser') });
