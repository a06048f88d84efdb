// Background CPU load of the machine (other processes), sampled from /proc/stat while no benchmark process
// runs. The machine may be shared; a busy neighbour slows every library, so the runner records it.
import { readFileSync } from 'node:fs';
import { sleep } from './limits.mjs';

function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return null;
  }
}

/** Busy share of all cores over `ms` (0..1), or null where /proc/stat does not exist. */
export async function backgroundBusy(ms = 500) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return null;
  return 1 - (b.idle - a.idle) / (b.total - a.total);
}
