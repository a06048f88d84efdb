import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/**
 * The link dropped while a streamed reply was in flight (`CHSK_STREAM_CUT`). The server stopped the stream when
 * the connection closed, so it is `retryable`: subscribing again (RxJS `retry`) starts a new stream from the
 * beginning, once the client has reconnected. Items already received are not sent again by the stream itself;
 * a source that can resume takes its position from the request's data.
 */
export class StreamCutError extends ChannelError {
  override readonly name = 'StreamCutError';
  /** Always true: the server keeps nothing of a cut stream, so asking again is safe. */
  readonly retryable = true;
  constructor(
    /** The event id of the stream's request. */
    readonly eventId: string,
    reason: string,
  ) {
    super(ErrorCode.StreamCut, `the link dropped during the stream "${eventId}" (${reason}); subscribe again to restart it`);
  }
}
