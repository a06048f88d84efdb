import { MemoryReplayLog } from '../../../src/server/adapter/MemoryReplayLog';
import { MessageType, type EventMessage } from '../../../src/protocol/messages';

const ev = (n: number): EventMessage => ({ t: MessageType.Event, ev: ['x/n', n] });

describe('MemoryReplayLog', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => (now = 0));

  test('offsets increase by one per stream, from 1, with one epoch per log', () => {
    const log = new MemoryReplayLog(clock);
    const a1 = log.append('u:a', ev(1), 10);
    const a2 = log.append('u:a', ev(2), 10);
    const b1 = log.append('b', ev(3), 10);
    expect([a1.offset, a2.offset, b1.offset]).toEqual([1, 2, 1]);
    expect(a2.epoch).toBe(a1.epoch);
    expect(b1.epoch).not.toBe(a1.epoch);
    expect(log.position('u:a')).toEqual(a2);
  });

  test('reads every entry after a position, in order, or nothing when up to date', () => {
    const log = new MemoryReplayLog(clock);
    for (let i = 1; i <= 5; i++) log.append('s', ev(i), 1);
    const epoch = log.position('s').epoch;
    const r = log.readSince('s', { offset: 2, epoch });
    expect(r.ok && r.entries.map((e) => e.offset)).toEqual([3, 4, 5]);
    expect(r.ok && r.entries.map((e) => e.msg.ev[1])).toEqual([3, 4, 5]);
    expect(log.readSince('s', { offset: 5, epoch })).toEqual({ ok: true, entries: [], position: { offset: 5, epoch } });
  });

  test('never answers partially: another epoch, a trimmed range, or more than max', () => {
    const log = new MemoryReplayLog(clock, { maxEntries: 3 });
    for (let i = 1; i <= 5; i++) log.append('s', ev(i), 1);
    const position = log.position('s');
    expect(log.readSince('s', { offset: 1, epoch: position.epoch })).toEqual({ ok: false, reason: 'trimmed', position });
    expect(log.readSince('s', { offset: 2, epoch: position.epoch }).ok).toBe(true);
    expect(log.readSince('s', { offset: 2, epoch: 'other' })).toEqual({ ok: false, reason: 'epoch', position });
    expect(log.readSince('s', { offset: 9, epoch: position.epoch })).toMatchObject({ ok: false, reason: 'epoch' });
    expect(log.readSince('s', { offset: 2, epoch: position.epoch }, 2)).toEqual({ ok: false, reason: 'too-many', position });
  });

  test('is bounded by bytes and by age; a log whose entries all aged out starts again with a new epoch', () => {
    const log = new MemoryReplayLog(clock, { maxBytes: 25, maxAgeMs: 1000 });
    for (let i = 1; i <= 4; i++) log.append('s', ev(i), 10); // 40 bytes: the first two leave
    const p = log.position('s');
    expect(log.readSince('s', { offset: 1, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'trimmed' });
    expect(log.readSince('s', { offset: 2, epoch: p.epoch })).toMatchObject({ ok: true });
    now = 500;
    log.append('s', ev(5), 1);
    now = 1200; // entries 3 and 4 (t=0) aged out, 5 (t=500) is kept
    expect(log.readSince('s', { offset: 3, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'trimmed' });
    const r = log.readSince('s', { offset: 4, epoch: p.epoch });
    expect(r.ok && r.entries.map((e) => e.offset)).toEqual([5]);
    now = 2000; // everything aged out: the log is forgotten, a new one has a new epoch
    const fresh = log.position('s');
    expect(fresh.offset).toBe(0);
    expect(fresh.epoch).not.toBe(p.epoch);
    expect(log.readSince('s', { offset: 5, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'epoch' });
  });

  test('keeps its bound over many appends (compaction keeps offsets right)', () => {
    const log = new MemoryReplayLog(clock, { maxEntries: 10 });
    for (let i = 1; i <= 1000; i++) log.append('s', ev(i), 1);
    const p = log.position('s');
    const r = log.readSince('s', { offset: 990, epoch: p.epoch });
    expect(r.ok && r.entries.map((e) => e.msg.ev[1])).toEqual([991, 992, 993, 994, 995, 996, 997, 998, 999, 1000]);
    expect(log.readSince('s', { offset: 989, epoch: p.epoch })).toMatchObject({ ok: false, reason: 'trimmed' });
  });
});
