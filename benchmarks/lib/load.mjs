// Load from other processes. The machine may be shared (two cores, other jobs): a busy neighbour slows
// every library, and the server and load generator then compete for one core. The runner reads /proc/stat
// around each run and subtracts the CPU time of its own processes to get the foreign load of that run.
import { readFileSync } from 'node:fs';
import { sleep } from './limits.mjs';

/** Linux USER_HZ: /proc/stat counts in 1/100 s on every mainstream kernel. */
const HZ = 100;

/** { busy, total } CPU seconds summed over all cores since boot, or null where /proc/stat does not exist. */
export function cpuTimes() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0) / HZ;
    const idle = (f[3] + (f[4] ?? 0)) / HZ;
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/**
 * Cores kept busy by other processes between two cpuTimes() readings taken `wallSec` apart, given the CPU
 * seconds our own processes used in between. Null without /proc/stat.
 */
export function foreignCores(a, b, ownCpuSec, wallSec) {
  if (!a || !b || wallSec <= 0) return null;
  return Math.max(0, (b.busy - a.busy - ownCpuSec) / wallSec);
}

/** Busy share of all cores over `ms` (0..1) while nothing of ours runs, or null without /proc/stat. */
export async function backgroundBusy(ms = 500) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return null;
  return (b.busy - a.busy) / (b.total - a.total);
}
