import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/** An option is missing or invalid. The message names the option and says what to pass. */
export class ConfigError extends ChannelError {
  override readonly name = 'ConfigError';
  constructor(message: string, code: ErrorCode = ErrorCode.BadOption) {
    super(code, message);
  }
}
