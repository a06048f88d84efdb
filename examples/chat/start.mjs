// `npm start`: builds the library if needed, then serves the chat demo on http://localhost:$PORT (3000).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
if (!existsSync(join(root, 'dist', 'cjs', 'server.cjs')) || !existsSync(join(root, 'dist', 'browser', 'sente-rx.min.js'))) {
  console.log('building sente-rx first (npm run build)...');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const { startChatServer } = await import('./server.mjs');
const { url } = await startChatServer({ port: Number(process.env.PORT ?? 3000) });
console.log(`sente-rx chat demo on ${url}  (open it in two tabs, log in as the same name in both)`);
