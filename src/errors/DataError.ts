import { ErrorCode } from '../protocol/codes';
import type { DataIssue } from '../schemas/DataIssue';
import { ChannelError } from './ChannelError';

/**
 * Data failed its schema on this side (`CHSK_BAD_DATA`): a reply to `send` (the send errors with it) or a push
 * (reported on the client's `errors$`). `issues` are the validator's, bounded (see `safeIssues`). A `strict`
 * client reports a push whose id has no schema with this class and `CHSK_UNKNOWN_EVENT` (no issues).
 */
export class DataError extends ChannelError {
  override readonly name = 'DataError';
  constructor(
    message: string,
    /** What the validator found: at most 10, each `{ message, path }`. */
    readonly issues: readonly DataIssue[],
    /** The event id whose data or reply failed. */
    readonly eventId: string,
    code: typeof ErrorCode.BadData | typeof ErrorCode.UnknownEvent = ErrorCode.BadData,
  ) {
    super(code, message);
  }
}
