import type { EventMessage } from '../../protocol/messages';

function approx(v: unknown, depth: number): number {
  switch (typeof v) {
    case 'string':
      return v.length + 2;
    case 'number':
      return 8;
    case 'boolean':
      return 5;
    case 'object': {
      if (v === null) return 4;
      if (depth > 16) return 64;
      let n = 2;
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) n += 1 + approx(v[i], depth + 1);
      else if (ArrayBuffer.isView(v)) n += v.byteLength;
      else for (const k in v) n += k.length + 4 + approx((v as Record<string, unknown>)[k], depth + 1);
      return n;
    }
    default:
      return 8;
  }
}

/**
 * A push's size for a replay log's byte bound: about its JSON length (strings by their length, numbers as 8,
 * binary data by its bytes), walked in JS at a twentieth of the cost of packing it, which the push path would
 * otherwise pay twice (the batcher packs it again). A bound on memory, not on the wire: close is enough.
 */
export function approxBytes(msg: EventMessage): number {
  return 16 + approx(msg.ev, 0);
}
