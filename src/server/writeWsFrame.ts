import type { Duplex } from 'stream';
import type { Frame } from '../packers/Packer';

/** Payloads up to this size are copied behind their header (one buffer, one write); larger ones are written after it. */
const COPY_LIMIT = 16 * 1024;

/**
 * The last text frame written and its bytes: a broadcast writes the same frame to every connection in a row.
 * Text only: a string cannot change, but a packer may hand out a Uint8Array it later reuses.
 */
let lastFrame: string | undefined;
let lastBytes: Buffer | undefined;
let clearQueued = false;

function clearLast(): void {
  lastFrame = lastBytes = undefined;
  clearQueued = false;
}

function header(len: number, binary: boolean, extra: number): Buffer {
  const size = len < 126 ? 2 : len < 0x10000 ? 4 : 10;
  const out = Buffer.allocUnsafe(size + extra);
  out[0] = binary ? 0x82 : 0x81; // FIN + binary or text opcode
  if (len < 126) out[1] = len;
  else if (len < 0x10000) (out[1] = 126), out.writeUInt16BE(len, 2);
  else (out[1] = 127), out.writeUInt32BE(Math.floor(len / 0x100000000), 2), out.writeUInt32BE(len >>> 0, 6);
  return out;
}

/** The bytes of one unfragmented, unmasked server→client data frame (RFC 6455, section 5.2) carrying a small `frame`. */
export function encodeWsFrame(frame: Frame): Buffer {
  if (typeof frame === 'string') {
    const len = Buffer.byteLength(frame);
    const out = header(len, false, len);
    out.write(frame, out.length - len, len, 'utf8');
    return out;
  }
  const out = header(frame.byteLength, true, frame.byteLength);
  out.set(frame, out.length - frame.byteLength);
  return out;
}

/**
 * Writes `frame` as one WebSocket data frame straight to the upgraded socket, bypassing `ws`'s sender. This is
 * safe because the server negotiates no extension (`perMessageDeflate: false`), so the frame format is fixed,
 * and never sends Blobs, so `ws`'s sender never queues (every `ws` write, pongs and the close frame included,
 * goes to the socket in call order like ours). The gain: a broadcast frames its payload once and every
 * connection gets one `write` of the same buffer, instead of a header, a UTF-8 conversion and a `writev` each.
 */
export function writeWsFrame(socket: Duplex, frame: Frame): void {
  const len = typeof frame === 'string' ? frame.length : frame.byteLength;
  if (len > COPY_LIMIT) {
    // Large: no copy; the header and the payload leave together when the socket is corked.
    const binary = typeof frame !== 'string';
    const bytes = binary ? frame.byteLength : Buffer.byteLength(frame);
    socket.write(header(bytes, binary, 0));
    socket.write(frame);
    return;
  }
  if (typeof frame !== 'string') {
    socket.write(encodeWsFrame(frame));
    return;
  }
  if (frame !== lastFrame) {
    lastFrame = frame;
    lastBytes = encodeWsFrame(frame);
    // Let go of it at the end of the tick: the cache is for a loop of writes, not to hold a frame alive.
    if (!clearQueued) (clearQueued = true), process.nextTick(clearLast);
  }
  socket.write(lastBytes!);
}
