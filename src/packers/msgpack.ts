import { Decoder, Encoder } from '@msgpack/msgpack';
import { ProtocolError } from '../errors/ProtocolError';
import { ErrorCode } from '../protocol/codes';
import { PROTOTYPE_KEYS, refuseForbiddenKeys } from '../protocol/prototypeKeys';
import type { Frame, Packer } from './Packer';

/** Options of {@link createMsgpackPacker}. */
export interface MsgpackPackerOptions {
  /**
   * Largest string, binary, array or map length a frame may declare. A hostile length prefix beyond it is
   * refused before anything is allocated.
   * @default 1_048_576
   */
  maxLength?: number;
}

/**
 * A MessagePack packer in binary frames. It reuses one `Encoder` and one `Decoder` (the top-level
 * `encode()` of `@msgpack/msgpack` allocates a fresh encoder and buffer on every call and runs at half the
 * speed). `pack` returns a copy, safe to hand to a socket that writes later. Every decoding failure
 * (including the `RangeError`s msgpack throws on huge length headers and trailing bytes) becomes a
 * `ProtocolError` with `CHSK_BAD_FRAME`; `__proto__` map keys are refused by the decoder, and any other name of an
 * Object.prototype property (`constructor`, `hasOwnProperty`, `toString`, ...) holding a map or array is refused
 * as well (the rule of `checkTree`).
 */
export function createMsgpackPacker(options: MsgpackPackerOptions = {}): Packer {
  const max = options.maxLength ?? 1_048_576;
  const encoder = new Encoder({ ignoreUndefined: true });
  // Set when the frame being decoded has a map key that names an Object.prototype property: only then is the
  // decoded value walked for one holding an object or array (the common frame pays one Set lookup per key).
  let suspect = false;
  const decoder = new Decoder({
    mapKeyConverter: (key: unknown): string | number => {
      if (typeof key === 'string') {
        if (PROTOTYPE_KEYS.has(key)) suspect = true;
        return key;
      }
      if (typeof key === 'number') return key;
      throw new ProtocolError(ErrorCode.BadFrame, `map keys must be strings or numbers, got ${typeof key}`);
    },
    maxStrLength: max,
    maxBinLength: max,
    maxArrayLength: max,
    maxMapLength: max,
    maxExtLength: max,
  });
  return {
    name: 'msgpack',
    binary: true,
    pack(message: unknown): Uint8Array {
      return encoder.encode(message);
    },
    unpack(frame: Frame): unknown {
      if (typeof frame === 'string') throw new ProtocolError(ErrorCode.BadFrame, 'text frame given to the msgpack packer');
      suspect = false;
      let value: unknown;
      try {
        value = decoder.decode(frame);
      } catch (e) {
        if (e instanceof ProtocolError) throw e;
        throw new ProtocolError(ErrorCode.BadFrame, `frame is not valid msgpack: ${String((e as Error)?.message ?? e).slice(0, 120)}`);
      }
      if (suspect) refuseForbiddenKeys(value);
      return value;
    },
  };
}

/** The shared msgpack packer with default limits. Import from `sente-rx/msgpack`. */
export const msgpackPacker: Packer = /* @__PURE__ */ createMsgpackPacker();
