import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/** A request got no reply before its deadline (`CHSK_TIMEOUT`). The deadline counts from the call to `send`. */
export class ReplyTimeoutError extends ChannelError {
  override readonly name = 'ReplyTimeoutError';
  constructor(
    /** The event id of the request. */
    readonly eventId: string,
    /** The deadline that passed, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(ErrorCode.Timeout, `no reply to "${eventId}" within ${timeoutMs} ms`);
  }
}
