import { ProtocolError } from '../../src/errors/ProtocolError';
import { ErrorCode } from '../../src/protocol/codes';
import { validateClientMessage, validateServerMessage } from '../../src/protocol/validateMessage';

function deepArray(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

// Values whose description used to throw a TypeError (String() on { toString: 1 }) or a RangeError
// (JSON.stringify / String() on deep nesting) instead of the ProtocolError the validators promise.
const hostile: [string, unknown][] = [
  ['rid { toString: 1 }', { t: 'q', rid: { toString: 1 }, ev: ['a/b'] }],
  ['rid { toString: 1, valueOf: 2 }', { t: 'q', rid: { toString: 1, valueOf: 2 }, ev: ['a/b'] }],
  ['rid nested 200k deep', { t: 'q', rid: deepArray(200_000), ev: ['a/b'] }],
  ['t nested 200k deep', { t: deepArray(200_000) }],
  ['t { toJSON: 1 }', { t: { toJSON: 1 } }],
];

describe('validators describe hostile values without throwing anything but ProtocolError', () => {
  it.each(hostile)('client: %s', (_name, input) => {
    let caught: unknown;
    try {
      validateClientMessage(input, 10);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe(ErrorCode.BadMessage);
  });

  it.each([
    ['reply rid { toString: 1 }', { t: 'r', rid: { toString: 1 } }],
    ['t nested 200k deep', { t: deepArray(200_000) }],
    ['batch member rid { toString: 1 }', { t: 'b', ms: [{ t: 'x', code: 'C', msg: 'm', rid: { toString: 1 } }] }],
  ] as [string, unknown][])('server: %s', (_name, input) => {
    expect(() => validateServerMessage(input)).toThrow(ProtocolError);
  });

  it('keeps short, readable descriptions of primitives', () => {
    expect(() => validateClientMessage({ t: 'q', rid: -1, ev: ['a/b'] }, 10)).toThrow(/got number -1/);
    expect(() => validateClientMessage({ t: 'zz' }, 10)).toThrow(/type "zz"/);
  });
});

describe('streamed replies', () => {
  it.each([
    ['q with w', { t: 'q', rid: 1, ev: ['a/b'], w: 16 }],
    ['sc', { t: 'sc', rid: 1 }],
    ['cr', { t: 'cr', rid: 1, n: 8 }],
    ['sc and cr in a batch', { t: 'b', ms: [{ t: 'sc', rid: 1 }, { t: 'cr', rid: 2, n: 1 }] }],
  ] as [string, unknown][])('client: accepts %s', (_name, input) => {
    expect(() => validateClientMessage(input, 10)).not.toThrow();
  });

  it.each([
    ['w 0', { t: 'q', rid: 1, ev: ['a/b'], w: 0 }, /'w'.*got number 0/],
    ['w a string', { t: 'q', rid: 1, ev: ['a/b'], w: '4' }, /'w'/],
    ['sc without rid', { t: 'sc' }, /'rid'/],
    ['cr without n', { t: 'cr', rid: 1 }, /'n'/],
    ['cr with n 1.5', { t: 'cr', rid: 1, n: 1.5 }, /'n'.*1\.5/],
    ['si from a client', { t: 'si', rid: 1, d: 1 }, /type "si"/],
  ] as [string, unknown, RegExp][])('client: refuses %s', (_name, input, message) => {
    expect(() => validateClientMessage(input, 10)).toThrow(message);
  });

  it('server: si and se need a rid; sc and cr are not server messages', () => {
    expect(() => validateServerMessage({ t: 'si', rid: 1, d: [1] })).not.toThrow();
    expect(() => validateServerMessage({ t: 'se', rid: 1 })).not.toThrow();
    expect(() => validateServerMessage({ t: 'si' })).toThrow(ProtocolError);
    expect(() => validateServerMessage({ t: 'sc', rid: 1 })).toThrow(ProtocolError);
    expect(() => validateServerMessage({ t: 'cr', rid: 1, n: 1 })).toThrow(ProtocolError);
  });
});

describe('topics', () => {
  it.each([
    ['tj', { t: 'tj', tid: 1, tp: 'room/1' }],
    ['tj with params and an offset', { t: 'tj', tid: 2, tp: 'room/1', p: { a: 1 }, o: [0, 'ep0'] }],
    ['tl', { t: 'tl', tid: 1 }],
  ] as [string, unknown][])('client: accepts %s', (_name, input) => {
    expect(() => validateClientMessage(input, 10)).not.toThrow();
  });

  it.each([
    ['tj without tid', { t: 'tj', tp: 'room/1' }, /'tid'/],
    ['tj with a numeric topic', { t: 'tj', tid: 1, tp: 5 }, /'tp'/],
    ['tj with an empty topic', { t: 'tj', tid: 1, tp: '' }, /'tp'/],
    ['tj with a 1025-character topic', { t: 'tj', tid: 1, tp: 'x'.repeat(1025) }, /'tp'/],
    ['tj with a bare offset', { t: 'tj', tid: 1, tp: 'a', o: 3 }, /'o'/],
    ['tj with a negative offset', { t: 'tj', tid: 1, tp: 'a', o: [-1, 'e'] }, /'o'/],
    ['tj with an empty epoch', { t: 'tj', tid: 1, tp: 'a', o: [1, ''] }, /'o'/],
    ['tj with a 129-character epoch', { t: 'tj', tid: 1, tp: 'a', o: [1, 'e'.repeat(129)] }, /'o'/],
    ['tl with tid 0', { t: 'tl', tid: 0 }, /'tid'/],
    ['tm from a client', { t: 'tm', tp: 'a', ev: ['a/b'] }, /type "tm"/],
  ] as [string, unknown, RegExp][])('client: refuses %s', (_name, input, message) => {
    expect(() => validateClientMessage(input, 10)).toThrow(message);
  });

  it('server: ta, tx and tm', () => {
    expect(() => validateServerMessage({ t: 'ta', tid: 1 })).not.toThrow();
    expect(() => validateServerMessage({ t: 'tx', tid: 1, code: 'CHSK_TOPIC_REFUSED', msg: 'no' })).not.toThrow();
    expect(() => validateServerMessage({ t: 'tm', tp: 'room/1', ev: ['a/b', 1] })).not.toThrow();
    expect(() => validateServerMessage({ t: 'tm', tp: 'room/1', ev: [] })).toThrow(ProtocolError);
    expect(() => validateServerMessage({ t: 'tx', tid: 1 })).toThrow(ProtocolError);
  });
});
