// Prints the functions with the most self time in a V8 .cpuprofile (from node --cpu-prof).
//   node benchmarks/tools/cpu-top.mjs <file.cpuprofile> [count]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function topSelf(file, count = 25) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const self = new Map();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const dt = p.timeDeltas;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    const d = dt[i] ?? 0;
    total += d;
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${f.url.replace(/^.*\/(node_modules\/|dist\/|benchmarks\/)/, '$1')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + d);
  }
  const idle = [...self.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const lines = [...self.entries()]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, v]) => `${((100 * v) / busy).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(1).padStart(8)} ms  ${k}`);
  return [`busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled`, ...lines].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(topSelf(process.argv[2], Number(process.argv[3] ?? 30)));
}
