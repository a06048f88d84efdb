import type { ErrorCode } from '../protocol/codes';

/** Base class of every error sente-rx raises: a `name` and a stable `code` (see README, "Error codes"). */
export class ChannelError extends Error {
  override readonly name: string = 'ChannelError';
  constructor(
    /** Stable, documented code, e.g. `CHSK_TIMEOUT`. */
    readonly code: ErrorCode | string,
    message: string,
  ) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
