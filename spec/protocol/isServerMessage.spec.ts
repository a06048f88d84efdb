import fc from 'fast-check';
import { isServerMessage } from '../../src/protocol/isServerMessage';
import { validateServerMessage } from '../../src/protocol/validateMessage';
import { seeded } from '../support/propertySeed';

const agrees = (x: unknown): boolean => {
  let valid = true;
  try {
    validateServerMessage(x);
  } catch {
    valid = false;
  }
  return isServerMessage(x) === valid;
};

describe('isServerMessage', () => {
  const long = 'x'.repeat(257);
  const cases: unknown[] = [
    null, 5, 'hs', [], {}, { t: 'zz' },
    { t: 'hs', v: 1, uid: null, cid: 'c' }, { t: 'hs', v: 1, uid: 'u', cid: 'c', tk: 't' }, { t: 'hs', v: '1', uid: null, cid: 'c' },
    { t: 'hs', v: 1, uid: 3, cid: 'c' }, { t: 'hs', v: 1, uid: null }, { t: 'hs', v: 1, uid: null, cid: 'c', tk: 1 },
    { t: 'pi' }, { t: 'po' },
    { t: 'e', ev: ['a/b'] }, { t: 'e', ev: ['a/b', 1] }, { t: 'e', ev: ['chsk/x'] }, { t: 'e', ev: [] }, { t: 'e', ev: ['a', 1, 2] },
    { t: 'e', ev: [''] }, { t: 'e', ev: [long] }, { t: 'e', ev: [5] }, { t: 'e', ev: 'a/b' },
    { t: 'r', rid: 1, d: 1 }, { t: 'r', rid: 0 }, { t: 'r', rid: 1.5 }, { t: 'r', rid: '1' },
    { t: 'x', code: 'C', msg: 'm' }, { t: 'x', code: 'C', msg: 'm', rid: 2 }, { t: 'x', code: 'C', msg: 'm', rid: -1 }, { t: 'x', code: 1, msg: 'm' },
    { t: 'b', ms: [] }, { t: 'b', ms: [{ t: 'e', ev: ['a'] }, { t: 'r', rid: 3 }] }, { t: 'b', ms: [{ t: 'e', ev: ['a'] }, null] },
    { t: 'a', mid: 1 }, { t: 'a', mid: 0 }, { t: 'a', mid: 1.5 }, { t: 'a', mid: '1' }, { t: 'a' }, { t: 'b', ms: [{ t: 'a', mid: 7 }, { t: 'r', rid: 1 }] },
    { t: 'x', code: 'C', msg: 'm', mid: 3 }, { t: 'x', code: 'C', msg: 'm', rid: 2, mid: 3 }, { t: 'x', code: 'C', msg: 'm', mid: 'm' },
    { t: 'hs', v: 1, uid: null, cid: 'c', rl: { r: 200, b: 400 } }, { t: 'hs', v: 1, uid: null, cid: 'c', rl: { r: 0, b: 400 } },
    { t: 'hs', v: 1, uid: null, cid: 'c', rl: { r: 1, b: 0.5 } }, { t: 'hs', v: 1, uid: null, cid: 'c', rl: [] }, { t: 'hs', v: 1, uid: null, cid: 'c', rl: { r: Infinity, b: 1 } },
    { t: 'b', ms: [{ t: 'pi' }] }, { t: 'b', ms: [{ t: 'b', ms: [] }] }, { t: 'b', ms: 'x' },
    { t: 'si', rid: 1, d: 2 }, { t: 'si', rid: 1 }, { t: 'si', rid: 0 }, { t: 'si' }, { t: 'se', rid: 3 }, { t: 'se', rid: '3' },
    { t: 'b', ms: [{ t: 'si', rid: 1, d: 1 }, { t: 'se', rid: 1 }] }, { t: 'sc', rid: 1 }, { t: 'cr', rid: 1, n: 1 },
    { t: 'ta', tid: 1 }, { t: 'ta', tid: 0 }, { t: 'tx', tid: 2, code: 'C', msg: 'm' }, { t: 'tx', tid: 2, code: 'C' }, { t: 'tm', tp: 'room/1', ev: ['a/b', 1] },
    { t: 'tm', tp: 5, ev: ['a/b'] }, { t: 'tm', tp: 'x', ev: [] }, { t: 'tj', tid: 1, tp: 'x' }, { t: 'b', ms: [{ t: 'tm', tp: 'r', ev: ['a'] }, { t: 'ta', tid: 3 }] },
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c]))('agrees with validateServerMessage on %s', (_, c) => {
    expect(agrees(c)).toBe(true);
  });

  it('agrees with validateServerMessage on generated messages', () => {
    const t = fc.constantFrom('hs', 'pi', 'po', 'e', 'r', 'x', 'a', 'b', 'q', 'si', 'se', 'sc', 'cr', 'ta', 'tx', 'tm', 'tj', undefined);
    const msg = fc.record(
      { t, v: fc.oneof(fc.integer(), fc.string()), uid: fc.oneof(fc.constant(null), fc.string(), fc.integer()), cid: fc.oneof(fc.string(), fc.integer()),
        tk: fc.oneof(fc.string(), fc.integer()), ev: fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }), fc.string()),
        rid: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.string()), mid: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.string()),
        rl: fc.oneof(fc.record({ r: fc.oneof(fc.double(), fc.integer({ min: -1, max: 3 })), b: fc.oneof(fc.double(), fc.integer({ min: -1, max: 3 })) }), fc.anything()), code: fc.oneof(fc.string(), fc.integer()), msg: fc.oneof(fc.string(), fc.integer()) },
      { requiredKeys: ['t'] },
    );
    const top = fc.oneof(msg, fc.record({ t: fc.constant('b'), ms: fc.oneof(fc.array(fc.oneof(msg, fc.anything()), { maxLength: 3 }), fc.anything()) }), fc.anything());
    fc.assert(fc.property(top, agrees), seeded({ numRuns: 2000 }));
  });
});
