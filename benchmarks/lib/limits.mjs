// Bounded waiting: every wait in the harness has a deadline, so nothing hangs.

/** Resolves with `promise`, or rejects with a TimeoutError-named error after `ms`. */
export function within(promise, ms, what) {
  let t;
  const timeout = new Promise((_, reject) => {
    t = setTimeout(() => {
      const e = new Error(`${what}: no result within ${ms} ms`);
      e.name = 'TimeoutError';
      reject(e);
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

/** Runs `fn(i)` for i in [0, n) with at most `limit` in flight; stops early once `deadline` (ms epoch) passes. */
export async function pool(n, limit, fn, deadline = Infinity) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      if (Date.now() > deadline) throw Object.assign(new Error(`pool: deadline passed after ${next} of ${n}`), { name: 'TimeoutError' });
      await fn(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
