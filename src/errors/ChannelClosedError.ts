import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/** The connection dropped with the request in flight, or the socket was closed for good (`CHSK_CLOSED`). */
export class ChannelClosedError extends ChannelError {
  override readonly name = 'ChannelClosedError';
  constructor(message = 'the channel socket closed') {
    super(ErrorCode.Closed, message);
  }
}
