import type { Frame } from '../../packers/Packer';
import type { ErrorMessage, ReplyMessage } from '../../protocol/messages';

/**
 * What the server answered to a handled message: a request's reply or error (an emit's ack is implied), as a
 * message or as the frame the server's packer made of it to send it. The core records the frame: one string or
 * byte array to hold for the window instead of the reply's objects (holding those cost about 2.6 µs of server
 * CPU per request in the garbage collector: `reqrep-dedupe` benchmark row). A store keeps either as it is and
 * may answer a claim with either; the core unpacks a frame with its packer.
 */
export type StoredReply = ReplyMessage | ErrorMessage | Frame;

/** True when a stored answer is a packed frame rather than a message. */
export function isPackedReply(r: StoredReply): r is Frame {
  return typeof r === 'string' || r instanceof Uint8Array;
}

/**
 * The verdict on a message id: `new` (first seen: handle it), `pending` (being handled: wait for its answer),
 * or `done` (handled; `reply` is the stored answer of a request, undefined for an emit).
 */
export type DedupeVerdict =
  | { readonly state: 'new' }
  | { readonly state: 'pending' }
  | { readonly state: 'done'; readonly reply: StoredReply | undefined };

/** Bounds of the dedupe window per (uid, client id). */
export interface DedupeLimits {
  /** Message ids remembered per (uid, client id); the oldest leaves first. @default 1000 */
  maxEntries: number;
  /** How long an id is remembered, in ms. Keep it above the client's retry horizon. @default 300_000 */
  windowMs: number;
}

export const DEFAULT_DEDUPE_LIMITS: DedupeLimits = { maxEntries: 1000, windowMs: 300_000 };

/**
 * Message-id dedupe, keyed by (uid, client id, mid), never by client id alone: an adapter service. In memory
 * for one process (`MemoryDedupe`); a cluster adapter keeps it where every node sees it, so a request re-sent
 * to another node after a cut is not handled twice. Calls may answer at once or with a Promise.
 */
export interface DedupeStore {
  /** Claims a message id: the first claim within the window gets `new`, later ones `pending` or `done`. */
  claim(uid: string, clientId: string, mid: number): DedupeVerdict | Promise<DedupeVerdict>;
  /** Records that a claimed message was handled, with the request's answer (undefined for an emit). */
  complete(uid: string, clientId: string, mid: number, reply: StoredReply | undefined): void | Promise<void>;
}
