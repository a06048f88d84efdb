import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/**
 * The client closed (or gave up reconnecting) with the send still waiting to be written, or the socket is closed
 * for good (`CHSK_CLOSED`): the server never saw it, so sending it again is safe. A send that was written gets
 * `DeliveryUncertainError` (`CHSK_UNCERTAIN`) instead.
 */
export class ChannelClosedError extends ChannelError {
  override readonly name = 'ChannelClosedError';
  constructor(message = 'the channel socket closed') {
    super(ErrorCode.Closed, message);
  }
}
