import type { Frame, Packer } from '../packers/Packer';
import type { ServerConn } from './ServerConn';
import { MessageType, type EventMessage, type HandshakeMessage, type ResumePositions, type WirePosition } from '../protocol/messages';
import type { ReplayLog, ReplayRead, StreamPosition } from './adapter/ReplayLog';
import { streamOf } from './adapter/streams';

/** Longest `rs` query parameter read (two positions with epochs of up to 64 characters fit in a quarter of it). */
export const MAX_RESUME_PARAM = 512;
/** Longest epoch accepted in a presented position. */
const MAX_EPOCH = 128;
/** Replayed entries per frame (a frame is one unit of an Ajax queue, and one `b` message). */
const REPLAY_FRAME = 100;

/** The streams of one connection: its uid's pushes (`u`) and the broadcasts (`b`). */
type Slot = 'u' | 'b';
const SLOTS: readonly Slot[] = ['u', 'b'];

/** What a client presented: a position per stream it knows. */
export type ResumeRequest = Partial<Record<Slot, StreamPosition>>;

/** The `rs` query parameter read: absent, a request, or a refusal to report (the connection opens without resume). */
export type ParsedResume = { readonly ok: true; readonly request: ResumeRequest | undefined } | { readonly ok: false; readonly why: string };

function position(x: unknown): StreamPosition | undefined {
  if (!Array.isArray(x) || x.length !== 2) return undefined;
  const [offset, epoch] = x as unknown[];
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > MAX_EPOCH) return undefined;
  return { offset, epoch };
}

/**
 * Reads the `rs` query parameter (untrusted): JSON `{"u":[offset,"epoch"],"b":[offset,"epoch"]}`, at most
 * {@link MAX_RESUME_PARAM} characters, offsets safe integers ≥ 0, epochs 1-128 characters. Unknown keys are
 * ignored (later streams). Anything else is refused as a whole (`ok: false`): the caller reports it and opens
 * the connection as if nothing was presented.
 */
export function parseResume(raw: string | null | undefined): ParsedResume {
  if (raw === null || raw === undefined) return { ok: true, request: undefined };
  if (raw.length > MAX_RESUME_PARAM) return { ok: false, why: `longer than ${MAX_RESUME_PARAM} characters (${raw.length})` };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, why: 'not an object' };
  const request: ResumeRequest = {};
  for (const slot of SLOTS) {
    if (!Object.prototype.hasOwnProperty.call(v, slot)) continue;
    const p = position((v as Record<string, unknown>)[slot]);
    if (!p) return { ok: false, why: `"${slot}" is not [offset, "epoch"] (offset a safe integer >= 0, epoch 1-${MAX_EPOCH} characters)` };
    request[slot] = p;
  }
  return { ok: true, request: request.u || request.b ? request : undefined };
}

/** The answer to a connection's opening: its handshake fields and the entries to write after it. */
export interface ResumeAnswer {
  readonly rs: ResumePositions;
  /** Present when the client presented positions. */
  readonly rc?: NonNullable<HandshakeMessage['rc']>;
  /** Replayed pushes, each with its `seq` (and `st`), per stream in offset order. */
  readonly replay: readonly EventMessage[];
}

const wire = (p: StreamPosition): WirePosition => [p.offset, p.epoch];

/**
 * Where a connection of uid key `key` starts in its streams, and what it missed since the positions it
 * presented: for each stream, `readSince` when presented (all of it, or nothing when the log cannot: another
 * epoch, trimmed, too many), else the current position. Answers at once when the log does (memory), else
 * with a Promise (a round trip). `rc.ok` holds when every presented stream was replayed.
 */
export function readResume(log: ReplayLog, key: string, request: ResumeRequest | undefined): ResumeAnswer | Promise<ResumeAnswer> {
  const names: Record<Slot, string> = { u: streamOf.uid(key), b: streamOf.broadcast };
  const reads = SLOTS.map((slot) => {
    const since = request?.[slot];
    return since ? log.readSince(names[slot], since) : log.position(names[slot]);
  });
  if (reads.some((r) => r instanceof Promise)) return Promise.all(reads).then((rs) => answer(request, rs));
  return answer(request, reads as Array<ReplayRead | StreamPosition>);
}

function answer(request: ResumeRequest | undefined, reads: ReadonlyArray<ReplayRead | StreamPosition>): ResumeAnswer {
  const rs: { u?: WirePosition; b?: WirePosition } = {};
  const replay: EventMessage[] = [];
  let ok = true;
  SLOTS.forEach((slot, i) => {
    const r = reads[i]!;
    if (!('ok' in r)) return void (rs[slot] = wire(r));
    rs[slot] = wire(r.position);
    if (!r.ok) return void (ok = false);
    for (const e of r.entries) {
      const m = e.msg;
      const st = slot === 'b' ? 'b' : undefined;
      replay.push(m.seq === e.offset && m.st === st ? m : { ...m, seq: e.offset, ...(st ? { st } : {}) });
    }
  });
  return { rs, ...(request ? { rc: { ok, n: replay.length } } : {}), replay };
}

/** The replayed entries as frames: batches of at most {@link REPLAY_FRAME} messages. */
export function replayFrames(packer: Packer, replay: readonly EventMessage[]): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < replay.length; i += REPLAY_FRAME) {
    const ms = replay.slice(i, i + REPLAY_FRAME);
    frames.push(packer.pack(ms.length === 1 ? ms[0] : { t: MessageType.Batch, ms }));
  }
  return frames;
}

/**
 * Frames held while the log was read (an asynchronous log: pushes delivered meanwhile), without the pushes the
 * answer already covers (`seq` at or below the position the connection starts from). A frame is unpacked only
 * when it may hold such a push.
 */
export function afterReplay(packer: Packer, held: readonly Frame[], rs: ResumePositions): Frame[] {
  const out: Frame[] = [];
  const covered = (m: unknown): boolean => {
    const e = m as Partial<EventMessage>;
    if (e.t !== MessageType.Event || typeof e.seq !== 'number') return false;
    const p = e.st === 'b' ? rs.b : rs.u;
    return p !== undefined && e.seq <= p[0];
  };
  for (const f of held) {
    const m = packer.unpack(f) as { t?: string; ms?: unknown[] };
    if (m.t === MessageType.Batch && Array.isArray(m.ms)) {
      const keep = m.ms.filter((x) => !covered(x));
      if (keep.length === m.ms.length) out.push(f);
      else if (keep.length > 0) out.push(packer.pack(keep.length === 1 ? keep[0] : { t: MessageType.Batch, ms: keep }));
    } else if (!covered(m)) out.push(f);
  }
  return out;
}

/**
 * Ends the opening of a resumable connection: writes the handshake with its positions (and the verdict), the
 * replayed entries, then what was written to the connection meanwhile (held since it was registered, less what
 * the replay covers), in that order; from then on writes go straight to the link. A log that failed (`answer`
 * undefined) opens it without positions: the client then starts over.
 */
export function finishOpen(conn: ServerConn, packer: Packer, hs: HandshakeMessage, presented: boolean, answer: ResumeAnswer | undefined): void {
  const held = conn.held ?? [];
  conn.held = undefined;
  if (!conn.open) return;
  if (!answer) {
    conn.write(packer.pack(presented ? { ...hs, rc: { ok: false, n: 0 } } : hs));
    for (const f of held) conn.write(f);
    return;
  }
  conn.write(packer.pack({ ...hs, rs: answer.rs, ...(answer.rc ? { rc: answer.rc } : {}) }));
  for (const f of replayFrames(packer, answer.replay)) conn.write(f);
  for (const f of held.length ? afterReplay(packer, held, answer.rs) : held) conn.write(f);
}
