/**
 * Every key that names a property of Object.prototype, holding an object or array, is refused by both packers
 * and by checkTree (issue 10 #7): `{"hasOwnProperty":{"call":1}}` merged naively into `{}` writes onto the
 * shared `Object.prototype.hasOwnProperty` function and breaks every `hasOwnProperty.call` in the process.
 */
import { ProtocolError } from '../../src/errors/ProtocolError';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { msgpackPacker } from '../../src/packers/msgpack';
import { checkTree } from '../../src/protocol/checkTree';
import { ErrorCode } from '../../src/protocol/codes';

const NAMES = Object.getOwnPropertyNames(Object.prototype).filter((n) => n !== '__proto__');

/** An object with `key` as an own property (a literal would make `__proto__` the prototype instead). */
const own = (key: string, value: unknown): Record<string, unknown> => Object.defineProperty({}, key, { value, enumerable: true, writable: true, configurable: true });

const refusal = (f: () => unknown): ProtocolError | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
};

const checks: [string, (v: unknown) => unknown][] = [
  ['checkTree', (v) => checkTree(v, 64)],
  ['jsonPacker', (v) => jsonPacker.unpack(JSON.stringify(v))],
  ['jsonPacker (\\u-escaped key)', (v) => jsonPacker.unpack(JSON.stringify(v).replace(/"([a-zA-Z_]+)":/g, (_m, k: string) => `"\\u00${k.charCodeAt(0).toString(16)}${k.slice(1)}":`))],
  ['msgpackPacker', (v) => msgpackPacker.unpack(msgpackPacker.pack(v))],
];

describe.each(checks)('%s', (_name, check) => {
  it('covers every own property name of Object.prototype', () => {
    expect(NAMES).toEqual(expect.arrayContaining(['hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', 'constructor']));
  });

  it.each(NAMES)('refuses "%s" holding an object or an array, at any depth, with CHSK_BAD_FRAME', (name) => {
    for (const v of [own(name, { call: 1 }), own(name, [1]), { t: 'e', ev: ['a/b', { deep: [own(name, { apply: 1 })] }] }]) {
      const e = refusal(() => check(v));
      expect(e?.code).toBe(ErrorCode.BadFrame);
      expect(e?.message).toContain(name);
    }
  });

  it.each(NAMES)('accepts "%s" holding plain data', (name) => {
    for (const data of ['x', 1, true, null]) expect(refusal(() => check(own(name, data)))).toBeUndefined();
  });
});
