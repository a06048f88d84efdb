import { ProtocolError } from '../../src/errors/ProtocolError';
import { ErrorCode } from '../../src/protocol/codes';
import { checkTree } from '../../src/protocol/checkTree';

function nest(depth: number, leaf: unknown = 1, kind: 'array' | 'object' = 'array'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { k: v };
  return v;
}

function refusal(f: () => void): ProtocolError | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  return undefined;
}

describe('checkTree', () => {
  it('accepts primitives and trees up to maxDepth', () => {
    for (const v of [null, 1, 'x', true, undefined]) expect(refusal(() => checkTree(v, 1))).toBeUndefined();
    expect(refusal(() => checkTree(nest(4), 4))).toBeUndefined();
    expect(refusal(() => checkTree(nest(4, 1, 'object'), 4))).toBeUndefined();
  });

  it.each([
    ['arrays', nest(5)],
    ['objects', nest(5, 1, 'object')],
    ['a deep branch beside shallow ones', { a: 1, b: [1, 2], c: nest(4) }],
  ])('refuses %s one level too deep with CHSK_BAD_FRAME', (_n, v) => {
    expect(refusal(() => checkTree(v, 4))?.code).toBe(ErrorCode.BadFrame);
  });

  it('walks 1e6 levels without overflowing the stack', () => {
    expect(refusal(() => checkTree(nest(1_000_000), 64))?.message).toMatch(/maxDepth \(64\)/);
  });

  it('treats binary data as a leaf', () => {
    expect(refusal(() => checkTree({ bin: new Uint8Array(1_000_000) }, 2))).toBeUndefined();
  });

  it.each([
    ['an own __proto__ key', JSON.parse('{"a":{"__proto__":{"polluted":1}}}')],
    ['constructor.prototype', { a: [{ constructor: { prototype: { polluted: 1 } } }] }],
    ['a constructor object (a deep merge would write onto the global Object)', { constructor: { keys: 'x' } }],
    ['a constructor array', { c: { constructor: [1] } }],
  ])('refuses %s', (_n, v) => {
    expect(refusal(() => checkTree(v, 64))?.message).toMatch(/is not allowed/);
  });

  it('accepts a constructor key holding plain data', () => {
    expect(refusal(() => checkTree({ constructor: 'Foo', c: { constructor: 42 }, d: { constructor: null } }, 64))).toBeUndefined();
  });
});
