import { ResumeState } from '../../src/client/ResumeState';

// The client's position bookkeeping (PROTOCOL.md, "Offsets and resume"): what it presents, what it delivers.
describe('ResumeState', () => {
  test('presents nothing before a handshake that carries positions, then the positions pushes moved', () => {
    const r = new ResumeState();
    expect(r.query()).toBeUndefined();
    expect(r.handshake({ u: [0, 'E1'], b: [7, 'B1'] }, undefined)).toEqual({ recovered: false, replayed: 0 });
    expect(JSON.parse(r.query()!)).toEqual({ u: [0, 'E1'], b: [7, 'B1'] });
    expect(r.accept({ seq: 1 })).toBe('deliver');
    expect(r.accept({ seq: 2 })).toBe('deliver');
    expect(r.accept({ seq: 8, st: 'b' })).toBe('deliver');
    expect(JSON.parse(r.query()!)).toEqual({ u: [2, 'E1'], b: [8, 'B1'] });
  });

  test('a push past a gap is not delivered, nor anything after it until the next handshake; the position stays before the gap', () => {
    const r = new ResumeState();
    r.handshake({ u: [4, 'E'], b: [0, 'B'] }, undefined);
    expect(r.accept({ seq: 5 })).toBe('deliver');
    expect(r.accept({ seq: 8 })).toBe('gap');
    expect(r.accept({ seq: 9 })).toBe('drop');
    expect(r.accept({ seq: 1, st: 'b' })).toBe('drop');
    expect(JSON.parse(r.query()!)).toEqual({ u: [5, 'E'], b: [0, 'B'] });
    // The reconnect: 6..9 replayed after the handshake, then live again.
    r.handshake({ u: [9, 'E'], b: [0, 'B'] }, { ok: true, n: 4 });
    expect([6, 7, 8, 9].map((seq) => r.accept({ seq }))).toEqual(['deliver', 'deliver', 'deliver', 'deliver']);
    expect(r.accept({ seq: 10 })).toBe('deliver');
  });

  test('drops a push at or below its stream position (each stream on its own)', () => {
    const r = new ResumeState();
    r.handshake({ u: [5, 'E'], b: [5, 'B'] }, undefined);
    expect(r.accept({ seq: 5 })).toBe('drop');
    expect(r.accept({ seq: 3 })).toBe('drop');
    expect(r.accept({ seq: 6 })).toBe('deliver');
    expect(r.accept({ seq: 6 })).toBe('drop');
    expect(r.accept({ seq: 6, st: 'b' })).toBe('deliver');
    expect(r.accept({ seq: 5, st: 'b' })).toBe('drop');
  });

  test('delivers the replay that follows a handshake (rs already counts it), then checks again', () => {
    const r = new ResumeState();
    r.handshake({ u: [3, 'E'] }, undefined);
    // Reconnect: the server replays 4..6 and says the connection starts at 6.
    expect(r.handshake({ u: [6, 'E'], b: [0, 'B'] }, { ok: true, n: 3 })).toEqual({ recovered: true, replayed: 3 });
    expect([4, 5, 6].map((seq) => r.accept({ seq }))).toEqual(['deliver', 'deliver', 'deliver']);
    expect(r.accept({ seq: 6 })).toBe('drop');
    expect(r.accept({ seq: 7 })).toBe('deliver');
  });

  test('a server without positions: everything is forgotten and every push delivered', () => {
    const r = new ResumeState();
    r.handshake({ u: [3, 'E'] }, undefined);
    expect(r.handshake(undefined, undefined)).toEqual({ recovered: false, replayed: 0 });
    expect(r.query()).toBeUndefined();
    expect(r.accept({ seq: 1 })).toBe('deliver');
    expect(r.accept({ seq: 1 })).toBe('deliver');
    expect(r.accept({})).toBe('deliver');
  });

  test('seq 1 below the position is a stream that started over: delivered, and the next resume cannot claim recovery', () => {
    const r = new ResumeState();
    r.handshake({ u: [9, 'E'] }, undefined);
    expect(r.accept({ seq: 1 })).toBe('deliver');
    expect(r.accept({ seq: 1 })).toBe('drop');
    expect(r.accept({ seq: 2 })).toBe('deliver');
    expect(JSON.parse(r.query()!)).toEqual({ u: [2, '?'] });
  });

  test('seq 1 at position 1 may be a new epoch\'s first push or a copy: never dropped silently, the client resyncs', () => {
    // A stream that started over (Redis lost its data, a memory log forgotten after a day idle) numbers from 1
    // again on a live link; at position 1 that cannot be told from a copy of push 1. Dropping it lost the first
    // push of the new epoch (reported by the redis work); a resync asks the server, which replays or says
    // recovered: false.
    const r = new ResumeState();
    r.handshake({ u: [1, 'E'] }, undefined);
    expect(r.accept({ seq: 1 })).toBe('gap');
    expect(r.accept({ seq: 2 })).toBe('drop');
    expect(JSON.parse(r.query()!)).toEqual({ u: [1, 'E'] });
  });

  test.each([
    ['rs not an object', 'x', { ok: true, n: 1 }],
    ['offset negative', { u: [-1, 'E'] }, { ok: true, n: 0 }],
    ['offset fractional', { u: [1.5, 'E'] }, undefined],
    ['epoch empty', { u: [1, ''] }, undefined],
    ['wrong arity', { u: [1, 'E', 3] }, undefined],
  ])('malformed handshake fields are read as absent (%s)', (_, rs, rc) => {
    const r = new ResumeState();
    r.handshake(rs, rc);
    expect(r.query()).toBeUndefined();
  });

  test.each([
    ['rc.ok not a boolean', { ok: 'yes', n: 1 }],
    ['rc.n negative', { ok: true, n: -1 }],
    ['rc.n not a number', { ok: true, n: '3' }],
    ['rc null', null],
  ])('a malformed verdict counts as not recovered (%s)', (_, rc) => {
    const r = new ResumeState();
    expect(r.handshake({ u: [2, 'E'] }, rc)).toEqual({ recovered: false, replayed: 0 });
    expect(r.accept({ seq: 2 })).toBe('drop');
  });

  test.each([['a string', '3'], ['zero', 0], ['negative', -2], ['NaN', NaN], ['above 2^53', 2 ** 54]])('a malformed seq (%s) is delivered and moves nothing', (_, seq) => {
    const r = new ResumeState();
    r.handshake({ u: [5, 'E'] }, undefined);
    expect(r.accept({ seq })).toBe('deliver');
    expect(JSON.parse(r.query()!)).toEqual({ u: [5, 'E'] });
  });
});
