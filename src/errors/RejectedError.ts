import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/**
 * The server (or a proxy in front of it) refused the connection or a request: origin, CSRF token,
 * `authorize`, or an HTTP 401/403 on the upgrade or an Ajax request (`CHSK_REJECTED`). Reported on the client's
 * `errors$`, and the error of requests whose Ajax POST was refused. The message carries the HTTP status and
 * the server's reason when the transport can see them (a browser's WebSocket cannot).
 */
export class RejectedError extends ChannelError {
  override readonly name = 'RejectedError';
  constructor(message: string) {
    super(ErrorCode.Rejected, message);
  }
}
