import { ProtocolError } from '../errors/ProtocolError';
import { ErrorCode } from './codes';
import type {
  ClientBatchable,
  ClientMessage,
  ServerBatchable,
  ServerMessage,
  WireEvent,
} from './messages';

/** Event ids under this prefix belong to the library; clients may not send them. */
export const RESERVED_PREFIX = 'chsk/';
/** Longest accepted event id, in characters. */
export const MAX_EVENT_ID_LENGTH = 256;

type Obj = Record<string, unknown>;

function bad(what: string): never {
  throw new ProtocolError(ErrorCode.BadMessage, what);
}

function kind(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  return typeof x;
}

/**
 * A short description of an untrusted value for error messages. Only primitives are rendered: `String()` on
 * a hostile object can throw (`{ toString: 1 }`) and `JSON.stringify` overflows the stack on deep nesting.
 */
function show(x: unknown): string {
  switch (typeof x) {
    case 'string':
      return JSON.stringify(x.slice(0, 32));
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${kind(x)} ${String(x)}`;
    default:
      return kind(x);
  }
}

function asObject(x: unknown, where: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    bad(`${where} expects an object, but got ${kind(x)}`);
  }
  return x as Obj;
}

/** True for reply ids the protocol allows: safe integers ≥ 1. */
export function isReplyId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 1;
}

/** True for message ids (`mid`) the protocol allows: safe integers ≥ 1, like reply ids. */
export const isMessageId: (x: unknown) => x is number = isReplyId;

/** True for a handshake's `rl`: `{ r, b }` with `r` > 0 and `b` ≥ 1, both finite. */
export function isRateLimitInfo(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const { r, b } = x as Obj;
  return typeof r === 'number' && Number.isFinite(r) && r > 0 && typeof b === 'number' && Number.isFinite(b) && b >= 1;
}

function replyId(m: Obj): number {
  const rid = m.rid;
  if (!isReplyId(rid)) {
    bad(`message expects 'rid' to be a safe integer >= 1, but got ${show(rid)}`);
  }
  return rid;
}

/**
 * Checks an event tuple. With `fromClient`, ids in the reserved `chsk/` namespace are refused with
 * `CHSK_RESERVED_ID`.
 */
export function validateEvent(ev: unknown, fromClient: boolean): WireEvent {
  if (!Array.isArray(ev) || ev.length < 1 || ev.length > 2) {
    bad(`'ev' expects an array [id] or [id, data], but got ${kind(ev)}${Array.isArray(ev) ? ` of length ${ev.length}` : ''}`);
  }
  const id: unknown = ev[0];
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_EVENT_ID_LENGTH) {
    bad(`event id expects a non-empty string of at most ${MAX_EVENT_ID_LENGTH} characters, but got ${kind(id)}`);
  }
  if (fromClient && id.startsWith(RESERVED_PREFIX)) {
    throw new ProtocolError(ErrorCode.ReservedId, `event id "${id}" is reserved: ids under "${RESERVED_PREFIX}" belong to the library`);
  }
  return ev as unknown as WireEvent;
}

/** Longest topic name the wire accepts (the server's `maxTopicLength`, 256 by default, is the real limit). */
export const MAX_TOPIC_WIRE_LENGTH = 1024;

function topicId(m: Obj): number {
  if (!isReplyId(m.tid)) bad(`topic message expects 'tid' to be a safe integer >= 1, but got ${show(m.tid)}`);
  return m.tid;
}

function optionalMid(m: Obj): void {
  if (m.mid !== undefined && !isMessageId(m.mid)) {
    bad(`message expects 'mid' to be a safe integer >= 1, but got ${show(m.mid)}`);
  }
}

function clientBatchable(m: Obj): ClientBatchable {
  switch (m.t) {
    case 'e':
      optionalMid(m);
      validateEvent(m.ev, true);
      return m as unknown as ClientBatchable;
    case 'q':
      optionalMid(m);
      replyId(m);
      if (m.w !== undefined && !isReplyId(m.w)) bad(`request expects 'w' (a stream's window) to be a safe integer >= 1, but got ${show(m.w)}`);
      validateEvent(m.ev, true);
      return m as unknown as ClientBatchable;
    case 'sc':
      replyId(m);
      return m as unknown as ClientBatchable;
    case 'cr':
      replyId(m);
      if (!isReplyId(m.n)) bad(`credit expects 'n' to be a safe integer >= 1, but got ${show(m.n)}`);
      return m as unknown as ClientBatchable;
    case 'tj':
      topicId(m);
      if (typeof m.tp !== 'string' || m.tp.length === 0 || m.tp.length > MAX_TOPIC_WIRE_LENGTH) {
        bad(`topic join expects 'tp' to be a non-empty string of at most ${MAX_TOPIC_WIRE_LENGTH} characters, but got ${show(m.tp)}`);
      }
      if (m.o !== undefined && !isWirePosition(m.o)) bad(`topic join expects 'o' to be [offset, "epoch"] (a safe integer >= 0, 1-128 characters), but got ${show(m.o)}`);
      return m as unknown as ClientBatchable;
    case 'tl':
      topicId(m);
      return m as unknown as ClientBatchable;
    default:
      return bad(`unknown or misplaced client message type ${show(m.t)}`);
  }
}

/**
 * Validates one message a client sent. Batch members are checked one by one by the caller through
 * {@link validateClientBatchable}, so that one bad member does not sink its neighbours.
 * Throws {@link ProtocolError} with `CHSK_BAD_MESSAGE` or `CHSK_RESERVED_ID`.
 */
export function validateClientMessage(x: unknown, maxBatch: number): ClientMessage {
  const m = asObject(x, 'message');
  switch (m.t) {
    case 'pi':
    case 'po':
      return m as unknown as ClientMessage;
    case 'b': {
      if (!Array.isArray(m.ms) || m.ms.length === 0) bad(`batch expects 'ms' to be a non-empty array, but got ${kind(m.ms)}`);
      if (m.ms.length > maxBatch) {
        throw new ProtocolError(ErrorCode.TooLarge, `batch holds ${m.ms.length} messages; the limit is ${maxBatch}`);
      }
      return m as unknown as ClientMessage;
    }
    default:
      return clientBatchable(m);
  }
}

/** Validates one member of a client batch (events, requests, stream cancels and credits). */
export function validateClientBatchable(x: unknown): ClientBatchable {
  return clientBatchable(asObject(x, 'batch member'));
}

/** `[offset, epoch]`: a position in a stream on the wire (offset a safe integer ≥ 0, epoch 1-128 characters). */
export function isWirePosition(x: unknown): x is readonly [number, string] {
  return (
    Array.isArray(x) &&
    x.length === 2 &&
    typeof x[0] === 'number' &&
    Number.isSafeInteger(x[0]) &&
    x[0] >= 0 &&
    typeof x[1] === 'string' &&
    x[1].length > 0 &&
    x[1].length <= 128
  );
}

function serverBatchable(m: Obj): ServerBatchable {
  switch (m.t) {
    case 'e':
      validateEvent(m.ev, false);
      break;
    case 'r':
    case 'si':
    case 'se':
      replyId(m);
      break;
    case 'x':
      if (typeof m.code !== 'string' || typeof m.msg !== 'string') bad(`error message expects string 'code' and 'msg'`);
      if (m.rid !== undefined) replyId(m);
      optionalMid(m);
      break;
    case 'a':
      if (!isMessageId(m.mid)) bad(`acknowledgement expects 'mid' to be a safe integer >= 1, but got ${show(m.mid)}`);
      break;
    case 'ta':
      topicId(m);
      break;
    case 'tx':
      topicId(m);
      if (typeof m.code !== 'string' || typeof m.msg !== 'string') bad(`topic close expects string 'code' and 'msg'`);
      break;
    case 'tm':
      if (typeof m.tp !== 'string') bad(`topic event expects a string 'tp'`);
      validateEvent(m.ev, false);
      break;
    default:
      bad(`unknown or misplaced server message type ${show(m.t)}`);
  }
  return m as unknown as ServerBatchable;
}

/** Validates one message a server sent (client side). Throws {@link ProtocolError}. */
export function validateServerMessage(x: unknown): ServerMessage {
  const m = asObject(x, 'message');
  switch (m.t) {
    case 'hs':
      if (typeof m.v !== 'number') bad(`handshake expects a numeric 'v'`);
      if (m.uid !== null && typeof m.uid !== 'string') bad(`handshake expects 'uid' to be a string or null`);
      if (typeof m.cid !== 'string') bad(`handshake expects a string 'cid'`);
      if (m.tk !== undefined && typeof m.tk !== 'string') bad(`handshake expects 'tk' to be a string`);
      if (m.rl !== undefined && !isRateLimitInfo(m.rl)) bad(`handshake expects 'rl' to be { r: number > 0, b: number >= 1 }`);
      return m as unknown as ServerMessage;
    case 'pi':
    case 'po':
      return m as unknown as ServerMessage;
    case 'b':
      if (!Array.isArray(m.ms)) bad(`batch expects 'ms' to be an array`);
      for (const member of m.ms as unknown[]) serverBatchable(asObject(member, 'batch member'));
      return m as unknown as ServerMessage;
    default:
      return serverBatchable(m);
  }
}
