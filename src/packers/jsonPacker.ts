import { ProtocolError } from '../errors/ProtocolError';
import { ErrorCode } from '../protocol/codes';
import { forbiddenKeyError, isForbiddenKey, PROTOTYPE_KEYS } from '../protocol/prototypeKeys';
import type { Frame, Packer } from './Packer';

const decoder = /* @__PURE__ */ (() => (typeof TextDecoder === 'undefined' ? undefined : new TextDecoder('utf-8', { fatal: true })))();

// Refuses keys that could reach shared built-ins if the value were later merged into another object (the rule
// of checkTree: `__proto__`, or any other Object.prototype name holding an object or array). Refused rather
// than dropped, as the msgpack packer does: a frame is never altered silently.
function reviver(this: unknown, key: string, value: unknown): unknown {
  if (isForbiddenKey(key, value)) throw forbiddenKeyError(key);
  return value;
}

/** Raw text that may hold such a key: one of the names, or a `\u` escape (which could spell one). */
const escape = (k: string): string => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SUSPECT = /* @__PURE__ */ new RegExp([...[...PROTOTYPE_KEYS].map(escape), '\\\\u'].join('|'));

/**
 * The default packer: JSON in text frames. Parsing is plain `JSON.parse` unless the text mentions a name of
 * an Object.prototype property or holds a `\u` escape, in which case a reviver refuses (`CHSK_BAD_FRAME`)
 * frames holding a `__proto__` key, or another such name (`constructor`, `hasOwnProperty`, `toString`, ...)
 * as a key whose value is an object or array, as the msgpack packer does (the slow path only runs for frames
 * that need it). Bytes must be valid UTF-8.
 */
export const jsonPacker: Packer = {
  name: 'json',
  binary: false,
  pack(message: unknown): string {
    return JSON.stringify(message);
  },
  unpack(frame: Frame): unknown {
    let text: string;
    if (typeof frame === 'string') {
      text = frame;
    } else {
      if (!decoder) throw new ProtocolError(ErrorCode.BadFrame, 'binary frame given to the JSON packer');
      try {
        text = decoder.decode(frame);
      } catch {
        throw new ProtocolError(ErrorCode.BadFrame, 'frame is not valid UTF-8');
      }
    }
    try {
      // `\u` too: a key spelt `"\u005f_proto__"` is `__proto__` once parsed but not in the raw text.
      if (SUSPECT.test(text)) return JSON.parse(text, reviver);
      return JSON.parse(text);
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      throw new ProtocolError(ErrorCode.BadFrame, `frame is not valid JSON: ${(e as Error).message.slice(0, 120)}`);
    }
  },
};
