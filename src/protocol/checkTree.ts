import { ProtocolError } from '../errors/ProtocolError';
import { ErrorCode } from './codes';
import { forbiddenKeyError, isForbiddenKey } from './prototypeKeys';

/**
 * Checks an unpacked, untrusted value before anything else touches it: at most `maxDepth` levels of nested
 * arrays and objects (the value itself is level 1), and no key that reaches shared built-ins through a naive
 * deep merge: an own `__proto__` key, or any other name of an Object.prototype property (`constructor`,
 * `hasOwnProperty`, `toString`, `valueOf`, `__defineGetter__`, ...: {@link PROTOTYPE_KEYS}) whose value is an
 * object or array. (A deep merge of `{"constructor": {"keys": 1}}` into any plain object writes onto the global
 * `Object`, replacing `Object.keys`; `{"hasOwnProperty": {"call": 1}}` onto the shared function, breaking every
 * `hasOwnProperty.call`.) Such a key holding a string, number, boolean or null is plain data and passes. Any
 * packer's output goes through it, so a custom packer gets the same guard.
 *
 * Deep nesting is refused because what comes next cannot cope with it: `JSON.stringify` and recursive user
 * code overflow the stack, and the msgpack encoder gives up at depth 100 (a reply echoing the data would
 * fail). The walk is iterative for the same reason, stops at the first offence, and treats binary data
 * (`Uint8Array`, any ArrayBuffer view) as a leaf.
 *
 * @throws ProtocolError with `CHSK_BAD_FRAME`.
 */
export function checkTree(value: unknown, maxDepth: number): void {
  if (typeof value !== 'object' || value === null) return;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) throw new ProtocolError(ErrorCode.BadFrame, `frame nests deeper than maxDepth (${maxDepth})`);
    if (ArrayBuffer.isView(node)) continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v === 'object' && v !== null) nodes.push(v), depths.push(depth + 1);
      }
      continue;
    }
    for (const key of Object.keys(node)) {
      const v: unknown = (node as Record<string, unknown>)[key];
      if (isForbiddenKey(key, v)) throw forbiddenKeyError(key);
      if (typeof v === 'object' && v !== null) nodes.push(v), depths.push(depth + 1);
    }
  }
}
