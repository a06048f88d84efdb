/**
 * What travels on a node's Ajax relay channel (`<prefix>ajx:<node>`): a header (JSON, one line) and an optional
 * body (a POST's bytes, an answer's body), as is. JSON escapes every newline, so the first `\n` ends the header.
 */
export type RelayHeader =
  /** A request relayed by node `origin` (its relay id `id`) to the connection's home node. */
  | readonly ['q', origin: string, id: number, op: 'poll' | 'post' | 'delete', selector: string, cid: string, ack: string | null]
  /** The request `id` relayed by `origin` was abandoned by its client. */
  | readonly ['c', origin: string, id: number]
  /** The home node `origin` answered the request `id` with a status, headers and the body. */
  | readonly ['a', origin: string, id: number, status: number, headers: Readonly<Record<string, string>>];

const NL = 0x0a;
const OPS: ReadonlySet<unknown> = new Set(['poll', 'post', 'delete']);

export function encodeRelay(header: RelayHeader, body?: Uint8Array | string): Buffer {
  const head = Buffer.from(`${JSON.stringify(header)}\n`);
  if (body === undefined) return head;
  return Buffer.concat([head, typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}

/** Decodes a relay message; undefined for anything malformed (the channel is ours, but never trusted blindly). */
export function decodeRelay(buf: Buffer): { header: RelayHeader; body: Uint8Array | undefined } | undefined {
  const nl = buf.indexOf(NL);
  if (nl < 0) return undefined;
  let h: unknown;
  try {
    h = JSON.parse(buf.subarray(0, nl).toString());
  } catch {
    return undefined;
  }
  if (!Array.isArray(h) || typeof h[1] !== 'string' || !Number.isSafeInteger(h[2])) return undefined;
  const ok =
    (h[0] === 'q' && h.length === 7 && OPS.has(h[3]) && typeof h[4] === 'string' && typeof h[5] === 'string' && (h[6] === null || typeof h[6] === 'string')) ||
    (h[0] === 'c' && h.length === 3) ||
    (h[0] === 'a' && h.length === 5 && Number.isSafeInteger(h[3]) && typeof h[4] === 'object' && h[4] !== null && !Array.isArray(h[4]));
  if (!ok) return undefined;
  const body = buf.subarray(nl + 1);
  return { header: h as unknown as RelayHeader, body: body.length > 0 ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : undefined };
}
