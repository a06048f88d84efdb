// Where the built sente-rx package is: <repo>/dist, or the directory in SENTE_RX_DIST (run.mjs --dist=...),
// so that two builds (before and after a change, or another branch's build) can be compared.
import { fileURLToPath } from 'node:url';

export const distDir = (process.env.SENTE_RX_DIST ?? fileURLToPath(new URL('../../dist', import.meta.url))).replace(/\/$/, '');
