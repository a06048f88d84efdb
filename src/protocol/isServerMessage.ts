import type { ServerMessage } from './messages';
import { isMessageId, isRateLimitInfo, isReplyId, MAX_EVENT_ID_LENGTH } from './validateMessage';

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

const isEvent = (ev: unknown): boolean =>
  Array.isArray(ev) && ev.length >= 1 && ev.length <= 2 && typeof ev[0] === 'string' && ev[0].length > 0 && ev[0].length <= MAX_EVENT_ID_LENGTH;

function isBatchable(m: Obj): boolean {
  switch (m.t) {
    case 'e':
      return isEvent(m.ev);
    case 'r':
    case 'si':
    case 'se':
      return isReplyId(m.rid);
    case 'x':
      return typeof m.code === 'string' && typeof m.msg === 'string' && (m.rid === undefined || isReplyId(m.rid)) && (m.mid === undefined || isMessageId(m.mid));
    case 'a':
      return isMessageId(m.mid);
    case 'ta':
      return isReplyId(m.tid);
    case 'tx':
      return isReplyId(m.tid) && typeof m.code === 'string' && typeof m.msg === 'string';
    case 'tm':
      return typeof m.tp === 'string' && isEvent(m.ev);
    default:
      return false;
  }
}

/**
 * The client's check of a server message: the same rules as `validateServerMessage`, as a predicate. The
 * client drops a frame it cannot read without saying why, so it does not ship the descriptive messages
 * (spec/protocol/isServerMessage.spec.ts keeps the two in agreement).
 */
export function isServerMessage(x: unknown): x is ServerMessage {
  if (!isObj(x)) return false;
  switch (x.t) {
    case 'hs':
      return (
        typeof x.v === 'number' &&
        (x.uid === null || typeof x.uid === 'string') &&
        typeof x.cid === 'string' &&
        (x.tk === undefined || typeof x.tk === 'string') &&
        (x.rl === undefined || isRateLimitInfo(x.rl))
      );
    case 'pi':
    case 'po':
      return true;
    case 'b':
      return Array.isArray(x.ms) && x.ms.every((m) => isObj(m) && isBatchable(m));
    default:
      return isBatchable(x);
  }
}
