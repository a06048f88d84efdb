// Vite for the React chat example. `sente-rx/*` resolves to this repository's build (dist/esm), as the
// published package would; react, react-dom and rxjs come from the repository's node_modules.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const dist = fileURLToPath(new URL('../../dist/esm/', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: [{ find: /^sente-rx\/(react|client)$/, replacement: `${dist}$1.mjs` }] },
  // JSX through esbuild (no Babel plugin needed for this example).
  esbuild: { jsx: 'automatic' },
  // Known up front, so the dev server never re-optimizes and reloads the page mid-session.
  optimizeDeps: { include: ['react', 'react-dom/client', 'react/jsx-dev-runtime', 'rxjs'], noDiscovery: true },
  build: { outDir: 'dist', emptyOutDir: true },
});
