/** A frame on the wire: text for text packers, bytes for binary ones. */
export type Frame = string | Uint8Array;

/**
 * Turns messages into frames and back. `pack` is called once per outgoing frame (a batch shares one pack
 * across every client of a uid), `unpack` on every incoming frame, which is untrusted: it must throw only
 * `ProtocolError` (`CHSK_BAD_FRAME`), and never return an object whose prototype can be polluted.
 */
export interface Packer {
  /** Name used in logs and benchmarks, e.g. `"json"`. */
  readonly name: string;
  /** True when frames are bytes (WebSocket binary frames, `application/octet-stream` bodies). */
  readonly binary: boolean;
  pack(message: unknown): Frame;
  unpack(frame: Frame): unknown;
}
