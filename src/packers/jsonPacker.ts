import { ProtocolError } from '../errors/ProtocolError';
import { ErrorCode } from '../protocol/codes';
import type { Frame, Packer } from './Packer';

const decoder = /* @__PURE__ */ (() => (typeof TextDecoder === 'undefined' ? undefined : new TextDecoder('utf-8', { fatal: true })))();

// Refuses keys that could reach shared built-ins if the value were later merged into another object: a naive
// deep merge of `{"__proto__": {...}}` or `{"constructor": {"prototype": {...}}}` pollutes Object.prototype, and
// one of `{"constructor": {"keys": 1}}` writes onto the global Object itself. The same rule as checkTree.
// Refused rather than dropped, as the msgpack packer does: a frame is never altered silently.
function reviver(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null)) {
    throw new ProtocolError(ErrorCode.BadFrame, `the key "${key}" is not allowed`);
  }
  return value;
}

/**
 * The default packer: JSON in text frames. Parsing is plain `JSON.parse` unless the text mentions
 * `__proto__`, `constructor` or a `\u` escape, in which case a reviver refuses (`CHSK_BAD_FRAME`) frames
 * holding a `__proto__` key or a `constructor` key whose value is an object or array, as the msgpack packer
 * refuses `__proto__` (the slow path only runs for frames that need it). Bytes must be valid UTF-8.
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
      if (text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) return JSON.parse(text, reviver);
      return JSON.parse(text);
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      throw new ProtocolError(ErrorCode.BadFrame, `frame is not valid JSON: ${(e as Error).message.slice(0, 120)}`);
    }
  },
};
