import { ProtocolError } from '../errors/ProtocolError';
import type { Frame } from '../packers/Packer';
import { ErrorCode } from './codes';

/**
 * Wire constants and body framing of the Ajax long-poll transport (PROTOCOL.md, "Ajax long-poll transport"). Shared by the
 * server router and the browser client, so nothing here may use Node built-ins.
 */

/** HTTP header names (lower case) of the Ajax transport. */
export const AjaxHeader = {
  /** Request: the connection token from the handshake (polls, POSTs, DELETE). */
  Token: 'x-chsk-token',
  /** Poll request: the sequence number of the last poll response the client processed (0 before any). */
  Ack: 'x-chsk-ack',
  /** Poll response (200): the sequence number of this batch, to acknowledge on the next poll. */
  Seq: 'x-chsk-seq',
  /** Poll response: the server closed the connection with this close code; do not poll again. */
  Closed: 'x-chsk-closed',
  /** Poll response: the connection moved to the client's probe WebSocket; this is the last Ajax batch. */
  Upgraded: 'x-chsk-upgraded',
  /** Handshake response: the largest POST body the server accepts, in bytes. */
  MaxBody: 'x-chsk-max-body',
  /** Request: the CSRF token (same header as the WebSocket handshake's alternative). */
  Csrf: 'x-csrf-token',
} as const;

/** Query parameter names of the Ajax transport (the user's `params` ride along on every request). */
export const AjaxParam = {
  Version: 'v',
  ClientId: 'cid',
  /** `hs=1` marks the handshake GET. */
  Handshake: 'hs',
  /** `upgrade=1` marks a probe WebSocket that takes over an Ajax connection. */
  Upgrade: 'upgrade',
  /**
   * The positions a reconnecting client presents, JSON `{"u":[offset,"epoch"],"b":[…]}`, on the WebSocket URL
   * and the Ajax handshake GET (both transports).
   */
  Resume: 'rs',
} as const;

/** Prefix of the `Sec-WebSocket-Protocol` entry that carries the Ajax token on an upgrade probe. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'tk.';

/** Content type of bodies with a text packer: frames separated by `\n`. */
export const TEXT_BODY_TYPE = 'text/plain; charset=utf-8';
/** Content type of bodies with a binary packer: frames each prefixed by a 4-byte big-endian length. */
export const BINARY_BODY_TYPE = 'application/octet-stream';

/** Bytes of framing per frame in a binary body. */
export const LENGTH_PREFIX_BYTES = 4;

const encoder = /* @__PURE__ */ (() => (typeof TextEncoder === 'undefined' ? undefined : new TextEncoder()))();

function bytes(frame: Frame): Uint8Array {
  return typeof frame === 'string' ? encoder!.encode(frame) : frame;
}

/** Size in bytes a frame adds to a body (an upper bound for text: 3 bytes per UTF-16 unit, plus the separator). */
export function framedSize(frame: Frame, binary: boolean): number {
  if (binary) return LENGTH_PREFIX_BYTES + (typeof frame === 'string' ? frame.length * 3 : frame.byteLength);
  return 1 + (typeof frame === 'string' ? frame.length * 3 : frame.byteLength);
}

/**
 * Joins already-packed frames into one body without re-packing them. Text: `\n`-separated (a text packer
 * must never emit a raw newline; JSON does not). Binary: each frame as a 4-byte big-endian length, then its bytes.
 */
export function encodeBody(frames: readonly Frame[], binary: boolean): string | Uint8Array {
  if (!binary) return frames.map((f) => (typeof f === 'string' ? f : new TextDecoder().decode(f))).join('\n');
  const parts = frames.map(bytes);
  let total = 0;
  for (const p of parts) total += LENGTH_PREFIX_BYTES + p.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.byteLength);
    out.set(p, at + LENGTH_PREFIX_BYTES);
    at += LENGTH_PREFIX_BYTES + p.byteLength;
  }
  return out;
}

/**
 * Splits a body into frames. Text: on `\n`, ignoring empty lines. Binary: by length prefix; a truncated
 * prefix or frame throws {@link ProtocolError} `CHSK_BAD_FRAME` (the whole body is refused, no frame is used).
 */
export function decodeBody(body: string | Uint8Array, binary: boolean): Frame[] {
  if (!binary) {
    let text: string;
    try {
      text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new ProtocolError(ErrorCode.BadFrame, 'body is not valid UTF-8');
    }
    return text.length === 0 ? [] : text.split('\n').filter((l) => l.length > 0);
  }
  const b = typeof body === 'string' ? bytes(body) : body;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const frames: Frame[] = [];
  let at = 0;
  while (at < b.byteLength) {
    if (at + LENGTH_PREFIX_BYTES > b.byteLength) {
      throw new ProtocolError(ErrorCode.BadFrame, `body ends inside a length prefix at byte ${at}`);
    }
    const n = view.getUint32(at);
    at += LENGTH_PREFIX_BYTES;
    if (at + n > b.byteLength) {
      throw new ProtocolError(ErrorCode.BadFrame, `frame of ${n} bytes at byte ${at} runs past the end of the body (${b.byteLength} bytes)`);
    }
    frames.push(b.subarray(at, at + n));
    at += n;
  }
  return frames;
}
