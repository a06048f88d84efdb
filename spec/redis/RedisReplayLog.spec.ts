/**
 * What only the Redis replay log does (its ReplayLog contract runs in spec/server/adapter/MemoryReplayLog.spec.ts
 * over both implementations): append and publish in one atomic step, so two nodes appending to one stream at
 * once are seen by every subscriber in offset order.
 */
import { Redis } from 'ioredis';
import { MessageType } from '../../src/protocol/messages';
import { RedisReplayLog } from '../../src/redis/RedisReplayLog';
import { dropPrefix, testPrefix } from '../support/redis';

test('appends from two nodes at once reach a subscriber in offset order, each with its offset and epoch', async () => {
  const prefix = testPrefix();
  const [a, b, sub] = [new Redis(), new Redis(), new Redis()];
  try {
    const channel = `${prefix}bus:x`;
    const got: string[] = [];
    const N = 200;
    const all = new Promise<void>((resolve) =>
      sub.on('messageBuffer', (_c: Buffer, m: Buffer) => {
        got.push(m.toString());
        if (got.length === 2 * N) resolve();
      }),
    );
    await sub.subscribe(channel);
    const clock = () => Date.now();
    const logs = [new RedisReplayLog(a, prefix, clock), new RedisReplayLog(b, prefix, clock)];
    const appends = logs.flatMap((log, node) =>
      Array.from({ length: N }, (_, i) =>
        log.append('u:x', { t: MessageType.Event, ev: ['x/n', `${node}:${i}`] }, 10, {
          command: 'publish',
          payload: Buffer.from(`${node}:${i}`),
          channels: [channel],
        }),
      ),
    );
    const positions = await Promise.all(appends);
    await all;
    const epoch = positions[0]!.epoch;
    expect(got.map((m) => Number(m.split(' ')[0]))).toEqual(Array.from({ length: 2 * N }, (_, i) => i + 1));
    for (const m of got) expect(m.split('\n')[0]!.split(' ')[1]).toBe(epoch);
    // What each append answered is the offset its message was published with, and the log holds the same order.
    const byPayload = new Map(got.map((m) => [m.split('\n')[1]!, Number(m.split(' ')[0])]));
    positions.forEach((p, k) => expect(byPayload.get(`${Math.floor(k / N)}:${k % N}`)).toBe(p.offset));
    const r = await logs[0]!.readSince('u:x', { offset: 0, epoch });
    expect(r.ok && r.entries.map((e) => byPayload.get(String(e.msg.ev[1])))).toEqual(Array.from({ length: 2 * N }, (_, i) => i + 1));
  } finally {
    for (const r of [a, b, sub]) r.disconnect();
    await dropPrefix(prefix);
  }
});
