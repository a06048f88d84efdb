import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/**
 * A request got no reply, or an emit no acknowledgement, before its deadline (`CHSK_TIMEOUT`). The deadline
 * counts from the call to `send` or `emit`.
 */
export class ReplyTimeoutError extends ChannelError {
  override readonly name = 'ReplyTimeoutError';
  constructor(
    /** The event id of the request. */
    readonly eventId: string,
    /** The deadline that passed, in milliseconds. */
    readonly timeoutMs: number,
    /** What did not come: a request's reply or an emit's acknowledgement. */
    what: 'reply' | 'acknowledgement' = 'reply',
  ) {
    super(ErrorCode.Timeout, `no ${what} ${what === 'reply' ? 'to' : 'of'} "${eventId}" within ${timeoutMs} ms`);
  }
}
