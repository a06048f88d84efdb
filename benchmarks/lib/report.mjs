// Turns medians into the results table (text for the console, Markdown for RESULTS.md) and collects the
// machine and package facts that belong next to any number.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LIBS } from './config.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PEERS = ['ws', 'socketio'];
const PEER_SHORT = { ws: 'ws', socketio: 'SIO' };

export function machine() {
  const cpus = os.cpus();
  const version = (p) => {
    try {
      return JSON.parse(readFileSync(`${root}node_modules/${p}/package.json`, 'utf8')).version;
    } catch {
      return 'missing';
    }
  };
  return {
    date: new Date().toISOString(),
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    packages: Object.fromEntries(
      ['sente-rx', 'ws', 'socket.io', 'socket.io-client', 'rxjs', 'express', 'rollup', '@rollup/plugin-terser'].map((p) => [
        p,
        p === 'sente-rx' ? JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version : version(p),
      ]),
    ),
  };
}

function fmt(v, unit) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (unit === 'ms') return v < 100 ? v.toFixed(2) : v.toFixed(1);
  if (unit === 'µs') return v.toFixed(2);
  if (unit === '%') return v.toFixed(1);
  if (unit === '×') return `${v.toFixed(2)}×`;
  if (unit === 'B') return `${Math.round(v).toLocaleString('en-US')}`;
  return Math.round(v).toLocaleString('en-US');
}

const ratioText = (r) => (r === null ? '—' : `${r.toFixed(2)}×`);

/** One table row per metric: values, ratios sente-rx ÷ peer, targets and whether they are met. */
export function rowsOf(results) {
  const rows = [];
  for (const s of results.scenarios) {
    for (const m of s.metrics) {
      const value = (lib) => {
        const v = s.medians[lib];
        if (v === 'skipped') return 'skipped';
        return v?.[m.key] ?? null;
      };
      const values = Object.fromEntries(Object.keys(LIBS).map((l) => [l, value(l)]));
      const ratios = {};
      for (const p of PEERS) {
        const a = values.sente;
        const b = values[p];
        ratios[p] = typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : null;
      }
      const targets = [];
      for (const [p, t] of Object.entries(m.targets ?? {})) {
        // 'abs': a bound on sente-rx's own value; otherwise on the ratio sente-rx ÷ peer.
        const r = p === 'abs' ? (typeof values.sente === 'number' ? values.sente : null) : ratios[p];
        const op = t.min !== undefined ? '≥' : '≤';
        const x = t.min ?? t.max;
        const met = r === null ? null : t.min !== undefined ? r >= t.min : r <= t.max;
        targets.push({ peer: p, text: p === 'abs' ? `${op}${x}${m.unit === '%' ? ' %' : m.unit === '×' ? '×' : ` ${m.unit}`}` : `${op}${x}× ${PEER_SHORT[p]}`, met });
      }
      rows.push({ scenario: s.id, title: s.title, metric: `${m.label}${m.unit ? ` (${m.unit})` : ''}`, unit: m.unit, values, ratios, targets });
    }
  }
  if (results.bundle) {
    const b = results.bundle;
    const kib = (x) => `${x.gzipBytes.toLocaleString('en-US')} (${(x.gzipBytes / 1024).toFixed(1)} KiB)`;
    const vsSio = (x) => (x && b.socketio ? x.gzipBytes / b.socketio.gzipBytes : null);
    const target = (x) => [{ peer: 'abs', text: `≤${results.bundleTargetBytes.toLocaleString('en-US')} B`, met: x.gzipBytes <= results.bundleTargetBytes }];
    // Builds with createWebSocketClient: the full row is the 'auto' client (compare with socket.io-client,
    // which carries polling too) and the lean WebSocket-only row carries the target. Older builds: one row.
    rows.push({
      scenario: 'bundle',
      title: b.senteLean ? 'browser bundle, full client (auto: WebSocket + Ajax)' : 'browser bundle, connect+send+receive',
      metric: 'min+gzip (B)',
      values: { sente: kib(b.sente), ws: '—', socketio: kib(b.socketio) },
      ratios: { ws: null, socketio: vsSio(b.sente) },
      targets: b.senteLean ? [] : target(b.sente),
    });
    if (b.senteLean) {
      rows.push({
        scenario: 'bundle',
        title: 'browser bundle, WebSocket-only client (createWebSocketClient)',
        metric: 'min+gzip (B)',
        values: { sente: kib(b.senteLean), ws: '—', socketio: kib(b.socketio) },
        ratios: { ws: null, socketio: vsSio(b.senteLean) },
        targets: target(b.senteLean),
      });
    }
    for (const [key, name] of [['reactAdds', 'sente-rx/react'], ['angularAdds', 'sente-rx/angular']]) {
      if (!b[key]) continue;
      rows.push({
        scenario: 'bundle',
        title: `browser bundle, what ${name} adds to the full client`,
        metric: 'min+gzip (B)',
        values: { sente: kib(b[key]), ws: '—', socketio: '—' },
        ratios: { ws: null, socketio: null },
        targets: [{ peer: 'abs', text: '≤1,024 B', met: b[key].gzipBytes <= 1024 }],
      });
    }
    rows.push({
      scenario: 'bundle',
      title: 'browser bundle, shipped full IIFE',
      metric: 'min+gzip (B)',
      values: { sente: kib(b.senteShipped), ws: '—', socketio: '—' },
      ratios: { ws: null, socketio: null },
      targets: [],
    });
  }
  return rows;
}

function cells(row) {
  const met = row.targets.map((t) => (t.met === null ? 'n/a' : t.met ? 'yes' : 'NO')).join(', ');
  return [
    row.title,
    row.metric,
    fmt(row.values.sente, row.unit),
    fmt(row.values.ws, row.unit),
    fmt(row.values.socketio, row.unit),
    ratioText(row.ratios.ws),
    ratioText(row.ratios.socketio),
    row.targets.map((t) => t.text).join(', ') || '—',
    met || '—',
  ];
}

const HEAD = ['Scenario', 'Metric', 'sente-rx', 'ws', 'Socket.IO', 'sente/ws', 'sente/SIO', 'Target', 'Met'];

export function textTable(rows) {
  const all = [HEAD, ...rows.map(cells)];
  const w = HEAD.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
  return [line(all[0]), w.map((x) => '-'.repeat(x)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export function markdownTable(rows) {
  const esc = (c) => c.replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map((_, i) => (i >= 2 && i <= 6 ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
  ].join('\n');
}

function bundleNote(b) {
  if (!b) return '';
  const f = (x) => `${x.gzipBytes.toLocaleString('en-US')} B`;
  if (b.senteLean) {
    return `Bundle details (min+gzip): the full client (\`createChannelSocketClient\`, type 'auto') is ${f(b.sente)}; the WebSocket-only client (\`createWebSocketClient\`) is ${f(b.senteLean)} with rxjs's default (ES5) build, ${f(b.senteRxjsEs2015)} with its ES2015 build (the \`es2015\` export condition), and ${f(b.senteWithoutRxjs)} without rxjs (what an app that already ships rxjs adds). The Socket.IO entry carries polling and WebSocket, like the full client.

`;
  }
  return `Bundle details (min+gzip): the sente-rx entry is ${f(b.sente)} with rxjs's default (ES5) build, ${f(b.senteRxjsEs2015)} with its ES2015 build (the \`es2015\` export condition), and ${f(b.senteWithoutRxjs)} without rxjs (what an app that already ships rxjs adds).

`;
}

/** Rows measured after the full run (run.mjs --merge): which, when, and what was noted about them. */
function mergedNote(results) {
  if (!results.merged?.length) return '';
  return `
Rows measured later (\`--only=... --merge\`, full sizes), in place of or after the rows of the run above:
${results.merged
  .map((m) => {
    const load = m.loadAverage ? ` (load average ${m.loadAverage.start.join(', ')} at the start, ${m.loadAverage.end.join(', ')} at the end, on ${results.machine.cpu.split('× ')[1] ?? '?'} cores)` : '';
    return `- ${m.date}: ${m.scenarios.join(', ')}${load}${m.notes?.length ? `. ${m.notes.join(' ')}` : ''}`;
  })
  .join('\n')}
`;
}

export function resultsMarkdown(results, rows) {
  const mc = results.machine;
  const notes = results.notes.map((n) => `- ${n}`).join('\n');
  return `# Benchmark results

Written by \`npm run bench\` (benchmarks/run.mjs, mode \`${results.mode}\`); do not edit by hand.
How to run and how to read it: [benchmarks/README.md](./README.md).

- Date: ${mc.date}
- Machine: ${mc.cpu}, ${mc.memory} RAM, ${mc.os}
- Node: ${mc.node}
- Packages: ${Object.entries(mc.packages).map(([k, v]) => `${k} ${v}`).join(', ')}
- Runs: ${results.runs.runs} per scenario (${results.runs.heavyRuns} for fan-out, memory and Ajax${results.runs.reconnectRuns ? `, ${results.runs.reconnectRuns} for reconnect` : ''}); each run is a fresh server process and a fresh load-generator process; the table shows medians.
- Placement: ${results.pin === 'split' ? 'server pinned to CPU 0, load generator to CPU 1 (taskset)' : results.pin === 'same' ? 'server and load generator both pinned to CPU 1' : 'not pinned (the kernel placed the processes)'}.
- Ratios are sente-rx ÷ peer of the metric: above 1 is better for throughputs (ev/s, req/s), below 1 is better for times, latencies, bytes.

${markdownTable(rows)}

Notes:
${notes || '- none'}
${mergedNote(results)}
${bundleNote(results.bundle)}Raw numbers, every run: [results.json](./results.json).
`;
}
