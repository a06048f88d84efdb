import { ProtocolError } from '../../src/errors/ProtocolError';
import { jsonPacker } from '../../src/packers/jsonPacker';

describe('jsonPacker.unpack: keys that reach prototypes', () => {
  // Regression: the reviver only ran when the raw text contained "__proto__" or "constructor", so the same
  // keys spelt with \u escapes came through as own properties.
  it.each([
    ['"\\u005f_proto__"', '{"\\u005f_proto__": {"polluted": 1}}'],
    ['"__pr\\u006fto__"', '{"a": [{"__pr\\u006fto__": {"polluted": 1}}]}'],
    ['"constructo\\u0072"', '{"constructo\\u0072": {"prototype": {"polluted": 1}}}'],
  ])('does not let %s through as an own key', (_n, text) => {
    let v: unknown;
    try {
      v = jsonPacker.unpack(text);
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      return;
    }
    const json = JSON.stringify(v);
    expect(json).not.toContain('__proto__');
    expect(json).not.toContain('prototype');
  });
});

describe('jsonPacker.unpack refuses forbidden keys with CHSK_BAD_FRAME', () => {
  it.each([
    ['{"__proto__": {"polluted": 1}}'],
    ['{"t":"e","ev":["a/b",{"x":[{"__proto__":{"polluted":1}}]}]}'],
    ['{"constructor": {"prototype": {"polluted": 1}}}'],
    ['{"constructor": {"keys": "x"}}'],
    ['{"a": {"constructor": ["x", "y"]}}'],
  ])('%s', (text) => {
    expect(() => jsonPacker.unpack(text)).toThrow(expect.objectContaining({ name: 'ProtocolError', code: 'CHSK_BAD_FRAME' }));
  });

  it('accepts the words as values and a constructor key without a prototype', () => {
    expect(jsonPacker.unpack('{"a":"__proto__","constructor":"Foo","b":"\\u00e9"}')).toEqual({ a: '__proto__', constructor: 'Foo', b: 'é' });
  });
});
