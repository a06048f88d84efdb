import type { Frame } from '../packers/Packer';

/**
 * What travels between nodes on the Redis bus: a header (JSON, one line) and, for pushes, the event packed
 * once with the server's packer (text or binary, as is). JSON escapes every newline, so the first `\n` ends the
 * header whatever the uid holds.
 */
export type BusHeader =
  /** A push to uid key `k` (every node that lists it); `flush`: leave at once (resumable delivery only). */
  | readonly ['e', origin: string, k: string, binary: 0 | 1, flush?: 0 | 1]
  /** A broadcast. */
  | readonly ['b', origin: string, binary: 0 | 1, flush?: 0 | 1]
  /** Close every connection of uid key `k` with `code` and `reason`. */
  | readonly ['d', origin: string, k: string, code: number, reason: string]
  /** Node `origin` now lists uid key `k` with `bits` (1: ws, 2: ajax, 0: gone). */
  | readonly ['p', origin: string, k: string, bits: number];

const NL = 0x0a;

export function encodeBus(header: BusHeader, frame?: Frame): Buffer {
  const head = Buffer.from(`${JSON.stringify(header)}\n`);
  if (frame === undefined) return head;
  return Buffer.concat([head, typeof frame === 'string' ? Buffer.from(frame) : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)]);
}

/** Decodes a bus message; undefined for anything malformed (the bus is ours, but never trusted blindly). */
export function decodeBus(buf: Buffer): { header: BusHeader; frame: Frame | undefined } | undefined {
  const nl = buf.indexOf(NL);
  if (nl < 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(0, nl).toString());
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || typeof header[0] !== 'string' || typeof header[1] !== 'string') return undefined;
  const body = buf.subarray(nl + 1);
  const binary = header[0] === 'e' ? header[3] : header[0] === 'b' ? header[2] : undefined;
  const frame = binary === undefined ? undefined : binary === 1 ? new Uint8Array(body) : body.toString();
  return { header: header as unknown as BusHeader, frame };
}
