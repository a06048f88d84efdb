import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/** A send made while offline found the bounded send buffer full (`CHSK_BUFFER_FULL`). */
export class BufferOverflowError extends ChannelError {
  override readonly name = 'BufferOverflowError';
  constructor(readonly limit: number) {
    super(ErrorCode.BufferFull, `the offline send buffer is full (maxBufferedSends: ${limit})`);
  }
}
