import { randomBytes } from 'crypto';
import { Redis } from 'ioredis';

/** A key prefix of its own for each test run and server, so runs never see each other's keys. */
export function testPrefix(): string {
  return `chsk-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` (a run cleans up after itself). */
export async function dropPrefix(prefix: string): Promise<void> {
  const r = new Redis({ lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
