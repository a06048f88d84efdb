// Compares two V8 heap snapshots (from --heap-snapshot: <lib>-baseline and <lib>-<N>) and prints what grew,
// grouped by node type and constructor/name, as bytes and objects per connection.
//   node benchmarks/tools/heap-diff.mjs <before.heapsnapshot> <after.heapsnapshot> <connections> [rows]
import { readFileSync } from 'node:fs';

function aggregate(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
  const w = f.length;
  const out = new Map();
  const nodes = s.nodes;
  for (let i = 0; i < nodes.length; i += w) {
    const type = types[nodes[i + iType]];
    let name = s.strings[nodes[i + iName]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
    else if (type === 'code') name = '(code)';
    else if (type === 'number') name = '(heap number)';
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}: ${name}`;
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += nodes[i + iSize];
    e.count++;
    out.set(key, e);
  }
  return out;
}

const [a, b, n, rows = 30] = process.argv.slice(2);
const before = aggregate(a);
const after = aggregate(b);
const diff = [...after.entries()].map(([k, v]) => {
  const o = before.get(k) ?? { size: 0, count: 0 };
  return [k, (v.size - o.size) / n, (v.count - o.count) / n];
});
const total = diff.reduce((x, [, s]) => x + s, 0);
console.log(`self size grown per connection: ${total.toFixed(0)} B`);
for (const [k, s, c] of diff.sort((x, y) => y[1] - x[1]).slice(0, Number(rows))) {
  console.log(`${s.toFixed(0).padStart(7)} B  ${c.toFixed(2).padStart(6)} objs  ${k}`);
}
