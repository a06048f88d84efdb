// Presence: the CPU cost of uid changes with and without a `connectedUids$` subscriber (issue 10 #11).
//
// Runs in the runner process on the memory adapter's presence itself (src/server/adapter/Presence.ts feeding
// src/server/adapter/UidsView.ts, wired as MemoryAdapter wires them; transpiled with the repository's TypeScript;
// --view-src=<file> measures another version of UidsView.ts), on rxjs's VirtualTimeScheduler so that "a tick" is explicit:
//   - connect: `uids` users arrive, `perTick` per tick (a tick = the scheduler flushed once, as the event loop
//     would between I/O batches);
//   - leave: every user leaves in one tick and all the grace periods end together (a deploy, a network split):
//     the CPU of that one flush is how long the event loop is blocked.
// Each phase runs without a subscriber, then with one that reads `any.size` of every snapshot.
// Run alone: node benchmarks/scenarios/presence.mjs [--uids=20000] [--per-tick=50] [--view-src=file]
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(`${root}package.json`);

/** Loads a TypeScript module whose only runtime import is rxjs. */
function loadTs(src) {
  const ts = require('typescript');
  const out = ts.transpileModule(readFileSync(src, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = `${mkdtempSync(`${os.tmpdir()}/sente-presence-`)}/${src.split('/').pop().replace(/\.ts$/, '.cjs')}`;
  writeFileSync(file, out);
  const { Module } = require('node:module');
  const m = new Module(file);
  m.paths = require.resolve.paths('rxjs');
  m._compile(out, file);
  return m.exports;
}

const cpuMs = (f) => {
  const t0 = process.cpuUsage();
  f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
};

function phase({ Presence, UidsView }, { uids, perTick, subscribed }) {
  const { VirtualTimeScheduler } = require('rxjs');
  const scheduler = new VirtualTimeScheduler();
  const view = new UidsView();
  view.coalesceOn?.(scheduler); // versions before issue 10 #11 emit per change
  const p = new Presence(scheduler, { ws: 2500, ajax: 5000 }, {
    listed: (key, ws, ajax) => view.set(key, ws, ajax) && view.publish(),
    port: () => undefined,
  });
  let emissions = 0;
  let seen = 0;
  if (subscribed) view.connectedUids$.subscribe((u) => ((seen += u.any.size), emissions++));
  const conns = Array.from({ length: uids }, (_, i) => ({ key: `user-${i}`, transport: 'ws' }));
  const connect = cpuMs(() => {
    for (let i = 0; i < uids; i += perTick) {
      for (let j = i; j < Math.min(uids, i + perTick); j++) p.opened(conns[j]);
      scheduler.flush();
    }
  });
  for (const c of conns) p.closed(c, 0);
  // The grace timers are queued now; they all end in the next flush.
  const leave = cpuMs(() => scheduler.flush());
  if (view.connectedUids$.value.any.size !== 0) throw new Error('presence: users left over after leaving');
  p.close();
  view.close();
  return { connectMs: connect, leaveMs: leave, emissions, checksum: seen };
}

export function measurePresence({ uids = 20_000, perTick = 50, viewSrc = `${root}src/server/adapter/UidsView.ts` } = {}) {
  const mods = { Presence: loadTs(`${root}src/server/adapter/Presence.ts`).Presence, UidsView: loadTs(viewSrc).UidsView };
  phase(mods, { uids: Math.min(uids, 2000), perTick, subscribed: true }); // warm-up
  const without = phase(mods, { uids, perTick, subscribed: false });
  const withSub = phase(mods, { uids, perTick, subscribed: true });
  const round = (x) => Math.round(x * 10) / 10;
  return {
    uids,
    perTick,
    without: { connectMs: round(without.connectMs), leaveMs: round(without.leaveMs) },
    with: { connectMs: round(withSub.connectMs), leaveMs: round(withSub.leaveMs), emissions: withSub.emissions },
    connectRatio: round(withSub.connectMs / without.connectMs),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = Object.fromEntries(process.argv.slice(2).map((x) => x.replace(/^--/, '').split('=')));
  const r = measurePresence({
    uids: a.uids ? Number(a.uids) : undefined,
    perTick: a['per-tick'] ? Number(a['per-tick']) : undefined,
    viewSrc: a['view-src'],
  });
  console.log(JSON.stringify(r, null, 2));
}
