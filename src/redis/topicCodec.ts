import type { Frame } from '../packers/Packer';
import type { TopicMember } from '../server/TopicRegistry';

/**
 * What travels on a topic's channel (`<prefix>t:<topic>`): a header (JSON, one line) and, for an event, the
 * topic event packed once with the server's packer (text or binary, as is). `n` numbers the origin node's own
 * messages, so the origin recognises them when they come back (it delivers its own publishes from there, in
 * the order Redis gives every node).
 */
export type TopicHeader =
  /** A published topic event. */
  | readonly ['m', origin: string, n: number, binary: 0 | 1]
  /** Remove the matching members (`removeFromTopic`). */
  | readonly ['r', origin: string, n: number, who: TopicMember, reason: string];

const NL = 0x0a;

export function encodeTopic(header: TopicHeader, frame?: Frame): Buffer {
  const head = Buffer.from(`${JSON.stringify(header)}\n`);
  if (frame === undefined) return head;
  return Buffer.concat([head, typeof frame === 'string' ? Buffer.from(frame) : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)]);
}

/**
 * Decodes a topic channel message; undefined for anything malformed. An event logged on its way (the replay
 * log's script published it) comes as `<offset> <epoch>\n<message>`: `seq` is that offset.
 */
export function decodeTopic(data: Buffer): { header: TopicHeader; frame: Frame | undefined; seq: number | undefined } | undefined {
  let buf = data;
  let seq: number | undefined;
  if (buf[0] !== 0x5b) {
    const at = buf.indexOf(NL);
    if (at < 0) return undefined;
    seq = Number(buf.subarray(0, at).toString().split(' ')[0]);
    if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
    buf = buf.subarray(at + 1);
  }
  const nl = buf.indexOf(NL);
  if (nl < 0) return undefined;
  let h: unknown;
  try {
    h = JSON.parse(buf.subarray(0, nl).toString());
  } catch {
    return undefined;
  }
  if (!Array.isArray(h) || (h[0] !== 'm' && h[0] !== 'r') || typeof h[1] !== 'string' || typeof h[2] !== 'number') return undefined;
  if (h[0] === 'r' && (typeof h[3] !== 'object' || h[3] === null || typeof h[4] !== 'string')) return undefined;
  const body = buf.subarray(nl + 1);
  const frame = h[0] === 'm' ? (h[3] === 1 ? new Uint8Array(body) : body.toString()) : undefined;
  return { header: h as unknown as TopicHeader, frame, seq };
}
