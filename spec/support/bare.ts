/**
 * Messages as a server without replay logs writes them: `seq` and `st` (the offsets of a resumable adapter,
 * PROTOCOL.md "Offsets and resume") taken off every `e`, also inside a `b`. For suites that check frames
 * exactly and run over adapters with and without offsets.
 */
export function bare<T>(m: T): T {
  if (Array.isArray(m)) return m.map(bare) as T;
  if (typeof m !== 'object' || m === null) return m;
  const o = m as Record<string, unknown>;
  if (o.t === 'b' && Array.isArray(o.ms)) return { ...o, ms: o.ms.map(bare) } as T;
  if (o.t !== 'e') return m;
  const { seq: _seq, st: _st, ...rest } = o;
  return rest as T;
}
