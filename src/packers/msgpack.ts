import { Decoder, Encoder } from '@msgpack/msgpack';
import { ProtocolError } from '../errors/ProtocolError';
import { ErrorCode } from '../protocol/codes';
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
 * `ProtocolError` with `CHSK_BAD_FRAME`; `__proto__` map keys are refused by the decoder.
 */
export function createMsgpackPacker(options: MsgpackPackerOptions = {}): Packer {
  const max = options.maxLength ?? 1_048_576;
  const encoder = new Encoder({ ignoreUndefined: true });
  const decoder = new Decoder({
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
      try {
        return decoder.decode(frame);
      } catch (e) {
        throw new ProtocolError(ErrorCode.BadFrame, `frame is not valid msgpack: ${String((e as Error)?.message ?? e).slice(0, 120)}`);
      }
    },
  };
}

/** The shared msgpack packer with default limits. Import from `sente-rx/msgpack`. */
export const msgpackPacker: Packer = /* @__PURE__ */ createMsgpackPacker();
