import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/**
 * A send was written to the server but never answered, and the client gave up on it (`CHSK_UNCERTAIN`): the app
 * disconnected, the client ran out of reconnect attempts, the server it reconnected to does not dedupe message
 * ids (`hs.dd` absent, so sending it again could run it twice), or more than `maxUnacked` sends were written after
 * it. The server may or may not have handled it: retry only what is safe to run twice, or check first. Compare
 * `CHSK_CLOSED` (`ChannelClosedError`), which a send gets only when it was certainly never written.
 */
export class DeliveryUncertainError extends ChannelError {
  override readonly name = 'DeliveryUncertainError';
  /** Always true: the message left this client, and its fate on the server is unknown. */
  readonly mayHaveArrived = true;
  constructor(message: string) {
    super(ErrorCode.Uncertain, message);
  }
}
