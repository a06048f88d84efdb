import type { DataIssue } from '../schemas/DataIssue';
import { ChannelError } from './ChannelError';

/**
 * The server answered a request with an error message. `code` is the server's code, e.g.
 * `CHSK_HANDLER_ERROR`, `CHSK_NO_REPLY`, `CHSK_RESERVED_ID`, `CHSK_BAD_DATA` or an application code.
 */
export class RemoteError extends ChannelError {
  override readonly name = 'RemoteError';
  constructor(
    code: string,
    message: string,
    /** `CHSK_BAD_DATA`: what the server's validator found (bounded); empty otherwise. */
    readonly issues: readonly DataIssue[] = [],
  ) {
    super(code, message);
  }
}
