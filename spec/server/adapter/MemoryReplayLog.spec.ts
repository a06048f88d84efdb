// The ReplayLog contract, over MemoryReplayLog and RedisReplayLog (when Redis answers): the same tests.
import { MessageType, type EventMessage } from '../../../src/protocol/messages';
import { storeImpls } from './storeImpls';
import fc from 'fast-check';
import { MemoryReplayLog } from '../../../src/server/adapter/MemoryReplayLog';
import { seeded } from '../../support/propertySeed';

const ev = (n: number): EventMessage => ({ t: MessageType.Event, ev: ['x/n', n] });

describe.each(storeImpls().map((impl) => [impl.name, impl] as const))('ReplayLog: %s', (_name, impl) => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 0));

  test('offsets increase by one per stream, from 1, with one epoch per log', async () => {
    const log = impl.replayLog(clock);
    const a1 = await log.append('u:a', ev(1), 10);
    const a2 = await log.append('u:a', ev(2), 10);
    const b1 = await log.append('b', ev(3), 10);
    expect([a1.offset, a2.offset, b1.offset]).toEqual([1, 2, 1]);
    expect(a2.epoch).toBe(a1.epoch);
    expect(b1.epoch).not.toBe(a1.epoch);
    expect(await log.position('u:a')).toEqual(a2);
  });

  test('reads every entry after a position, in order, or nothing when up to date', async () => {
    const log = impl.replayLog(clock);
    for (let i = 1; i <= 5; i++) await log.append('s', ev(i), 1);
    const epoch = (await log.position('s')).epoch;
    const r = await log.readSince('s', { offset: 2, epoch });
    expect(r.ok && r.entries.map((e) => e.offset)).toEqual([3, 4, 5]);
    expect(r.ok && r.entries.map((e) => e.msg.ev[1])).toEqual([3, 4, 5]);
    expect(await log.readSince('s', { offset: 5, epoch })).toEqual({ ok: true, entries: [], position: { offset: 5, epoch } });
  });

  test('a stream read before it is written keeps its epoch until written', async () => {
    const log = impl.replayLog(clock);
    const p0 = await log.position('s');
    expect(p0.offset).toBe(0);
    expect(await log.position('s')).toEqual(p0);
    const p1 = await log.append('s', ev(1), 1);
    expect(p1).toEqual({ offset: 1, epoch: p0.epoch });
  });

  test('never answers partially: another epoch, a trimmed range, or more than max', async () => {
    const log = impl.replayLog(clock, { maxEntries: 3 });
    for (let i = 1; i <= 5; i++) await log.append('s', ev(i), 1);
    const position = await log.position('s');
    expect(await log.readSince('s', { offset: 1, epoch: position.epoch })).toEqual({ ok: false, reason: 'trimmed', position });
    expect((await log.readSince('s', { offset: 2, epoch: position.epoch })).ok).toBe(true);
    expect(await log.readSince('s', { offset: 2, epoch: 'other' })).toEqual({ ok: false, reason: 'epoch', position });
    expect(await log.readSince('s', { offset: 9, epoch: position.epoch })).toMatchObject({ ok: false, reason: 'epoch' });
    expect(await log.readSince('s', { offset: 2, epoch: position.epoch }, 2)).toEqual({ ok: false, reason: 'too-many', position });
  });

  test('is bounded by bytes and by age', async () => {
    const log = impl.replayLog(clock, { maxBytes: 25, maxAgeMs: 1000 }, 10_000);
    for (let i = 1; i <= 4; i++) await log.append('s', ev(i), 10); // 40 bytes: the first two leave
    const p = await log.position('s');
    expect(await log.readSince('s', { offset: 1, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'trimmed' });
    expect(await log.readSince('s', { offset: 2, epoch: p.epoch })).toMatchObject({ ok: true });
    now = 500;
    await log.append('s', ev(5), 1);
    now = 1200; // entries 3 and 4 (t=0) aged out, 5 (t=500) is kept
    expect(await log.readSince('s', { offset: 3, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'trimmed' });
    const r = await log.readSince('s', { offset: 4, epoch: p.epoch });
    expect(r.ok && r.entries.map((e) => e.offset)).toEqual([5]);
    now = 2000; // everything aged out
    // The position outlives the entries (an up-to-date client still resumes), until positionTtlMs.
    const kept = await log.position('s');
    expect(kept).toEqual({ offset: 5, epoch: p.epoch });
    expect(await log.readSince('s', { offset: 5, epoch: p.epoch })).toEqual({ ok: true, entries: [], position: kept });
    expect(await log.readSince('s', { offset: 4, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'trimmed' });
    now = 500 + 10_001; // the position expires too: a new log with a new epoch
    const fresh = await log.position('s');
    expect(fresh.offset).toBe(0);
    expect(fresh.epoch).not.toBe(p.epoch);
    expect(await log.readSince('s', { offset: 5, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'epoch' });
  });

  test('keeps its bound over many appends (compaction keeps offsets right)', async () => {
    const log = impl.replayLog(clock, { maxEntries: 10 });
    for (let i = 1; i <= 300; i++) await log.append('s', ev(i), 1);
    const p = await log.position('s');
    const r = await log.readSince('s', { offset: 290, epoch: p.epoch });
    expect(r.ok && r.entries.map((e) => e.msg.ev[1])).toEqual([291, 292, 293, 294, 295, 296, 297, 298, 299, 300]);
    expect(await log.readSince('s', { offset: 289, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'trimmed' });
  });
});

describe('MemoryReplayLog: memory', () => {
  test('idle streams let go of their entries after maxAgeMs and of their position after positionTtlMs, swept by later appends', () => {
    let now = 0;
    const log = new MemoryReplayLog(() => now, { maxAgeMs: 1000 }, 10_000);
    for (let i = 0; i < 50; i++) log.append(`u:${i}`, ev(i), 10);
    expect(log.size).toEqual({ withEntries: 50, positionsOnly: 0 });
    now = 2000;
    for (let i = 0; i < 50; i++) log.append('busy', ev(i), 10);
    expect(log.size).toEqual({ withEntries: 1, positionsOnly: 50 });
    now = 13_000;
    for (let i = 0; i < 50; i++) log.append('busy', ev(i), 10);
    expect(log.size).toEqual({ withEntries: 1, positionsOnly: 0 });
  });

  test('a sweep that found nothing is not repeated until the clock moves, and then lets go as before', () => {
    let now = 0;
    const log = new MemoryReplayLog(() => now, { maxAgeMs: 1000 }, 10_000);
    log.append('u:a', ev(1), 10);
    for (let i = 0; i < 64; i++) log.append('busy', ev(i), 10); // sweeps at t=0 find nothing
    expect(log.size).toEqual({ withEntries: 2, positionsOnly: 0 });
    now = 1001; // u:a's entry is past maxAgeMs
    for (let i = 0; i < 16; i++) log.append('busy', ev(i), 10);
    expect(log.size).toEqual({ withEntries: 1, positionsOnly: 1 });
    now = 11_002; // u:a's position is past positionTtlMs
    for (let i = 0; i < 16; i++) log.append('busy', ev(i), 10);
    expect(log.size).toEqual({ withEntries: 1, positionsOnly: 0 });
  });

  test('an up-to-date position stays valid while the stream is quiet (an idle client resumes)', () => {
    let now = 0;
    const log = new MemoryReplayLog(() => now, { maxAgeMs: 1000 });
    const p = log.append('u:a', ev(1), 10);
    now = 3_600_000;
    expect(log.readSince('u:a', p)).toEqual({ ok: true, entries: [], position: p });
  });

  test('the ring (grown, wrapped, trimmed by entries, bytes and age) reads as a plain list of the kept entries would', () => {
    // A model: every append in a list with its size and time; the kept entries are the longest suffix within
    // every bound. Each step appends (size 0..40) or reads from some offset, the clock moving 0..30 ms or not at all.
    const dt = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 }));
    const step = fc.oneof(
      { arbitrary: fc.record({ bytes: fc.integer({ min: 0, max: 40 }), dt }), weight: 3 },
      { arbitrary: fc.record({ back: fc.integer({ min: 0, max: 40 }), dt }), weight: 1 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 20, max: 1000 }), fc.integer({ min: 50, max: 2000 }), fc.array(step, { minLength: 100, maxLength: 400, size: 'max' }), (maxEntries, maxBytes, maxAgeMs, steps) => {
        let now = 0;
        const log = new MemoryReplayLog(() => now, { maxEntries, maxBytes, maxAgeMs });
        const all: { bytes: number; at: number }[] = [];
        const kept = (): number => {
          // How many of the newest entries the bounds keep (entries leave oldest first).
          let n = 0;
          let bytes = 0;
          for (let i = all.length - 1; i >= 0; i--) {
            const e = all[i]!;
            if (n + 1 > maxEntries || bytes + e.bytes > maxBytes || e.at < now - maxAgeMs) break;
            n++;
            bytes += e.bytes;
          }
          return n;
        };
        let low = 1; // entries before `low` have left (the ring never takes one back)
        for (const s of steps) {
          now += s.dt;
          if ('bytes' in s) {
            expect(log.append('s', ev(all.length + 1), s.bytes).offset).toBe(all.length + 1);
            all.push({ bytes: s.bytes, at: now });
            low = Math.max(low, all.length - kept() + 1);
            continue;
          }
          const position = log.position('s');
          low = Math.max(low, all.length - kept() + 1);
          const since = Math.max(0, all.length - s.back);
          const r = log.readSince('s', { offset: since, epoch: position.epoch });
          if (since === all.length) expect(r).toEqual({ ok: true, entries: [], position });
          else if (since + 1 < low) expect(r).toMatchObject({ ok: false, reason: 'trimmed' });
          else {
            expect(r.ok).toBe(true);
            const offsets = r.ok ? r.entries.map((e) => e.offset) : [];
            expect(offsets).toEqual(Array.from({ length: all.length - since }, (_, i) => since + 1 + i));
            expect(r.ok && r.entries.map((e) => e.msg.ev[1])).toEqual(offsets);
          }
        }
      }),
      seeded({ numRuns: 200 }),
    );
  });
});
