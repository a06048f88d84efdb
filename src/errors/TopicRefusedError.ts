import { ErrorCode } from '../protocol/codes';
import { ChannelError } from './ChannelError';

/** The server refused to let this client join a topic (`CHSK_TOPIC_REFUSED`): its `authorizeTopic` said no. */
export class TopicRefusedError extends ChannelError {
  override readonly name = 'TopicRefusedError';
  constructor(
    /** The topic that was refused. */
    readonly topic: string,
    message: string,
  ) {
    super(ErrorCode.TopicRefused, message);
  }
}
