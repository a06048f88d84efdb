import { ChannelError } from './ChannelError';

/**
 * The server answered a request with an error message. `code` is the server's code, e.g.
 * `CHSK_HANDLER_ERROR`, `CHSK_NO_REPLY`, `CHSK_RESERVED_ID` or an application code.
 */
export class RemoteError extends ChannelError {
  override readonly name = 'RemoteError';
  constructor(code: string, message: string) {
    super(code, message);
  }
}
