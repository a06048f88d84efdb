import type { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/** Untrusted input broke the protocol: an unreadable frame, a wrong shape, a reserved id, a size limit. */
export class ProtocolError extends ChannelError {
  override readonly name = 'ProtocolError';
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}
