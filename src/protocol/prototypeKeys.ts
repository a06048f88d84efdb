import { ProtocolError } from '../errors/ProtocolError';
import { ErrorCode } from './codes';

/**
 * The names of Object.prototype's own properties: `constructor`, `hasOwnProperty`, `toString`, `valueOf`,
 * `isPrototypeOf`, `propertyIsEnumerable`, `toLocaleString`, `__proto__`, `__defineGetter__` and the other
 * legacy accessors (a fixed list, plus whatever this engine adds). A naive deep merge follows each of them
 * from a plain `{}` target to a shared built-in: `__proto__` to Object.prototype itself, `constructor` to the
 * global `Object`, the others to shared functions (`{"hasOwnProperty":{"call":1}}` breaks every
 * `hasOwnProperty.call` in the process).
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = /* @__PURE__ */ new Set([
  'constructor',
  '__defineGetter__',
  '__defineSetter__',
  'hasOwnProperty',
  '__lookupGetter__',
  '__lookupSetter__',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toString',
  'valueOf',
  '__proto__',
  'toLocaleString',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

/**
 * True for a key no untrusted value may carry: `__proto__` whatever it holds, and any other name of
 * {@link PROTOTYPE_KEYS} holding an object or array (holding plain data, `{"toString": "x"}`, it reaches nothing).
 */
export function isForbiddenKey(key: string, value: unknown): boolean {
  return key === '__proto__' || (PROTOTYPE_KEYS.has(key) && typeof value === 'object' && value !== null);
}

/** The refusal of a forbidden key, the same from every packer and from checkTree. */
export function forbiddenKeyError(key: string): ProtocolError {
  return new ProtocolError(ErrorCode.BadFrame, `the key "${key}" is not allowed: it names a property of Object.prototype`);
}

/** Walks a decoded value (iteratively: no stack overflow) and throws on the first forbidden key. */
export function refuseForbiddenKeys(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (ArrayBuffer.isView(node)) continue;
    if (Array.isArray(node)) {
      for (const v of node as unknown[]) if (typeof v === 'object' && v !== null) stack.push(v);
      continue;
    }
    for (const key of Object.keys(node)) {
      const v: unknown = (node as Record<string, unknown>)[key];
      if (isForbiddenKey(key, v)) throw forbiddenKeyError(key);
      if (typeof v === 'object' && v !== null) stack.push(v);
    }
  }
}
