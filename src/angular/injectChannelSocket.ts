import { inject } from '@angular/core';
import type { DefaultEventMap, EventMapOf } from '../protocol/events';
import type { ChannelSocket } from './ChannelSocket';
import { CHANNEL_SOCKET } from './provideChannelSocket';

/**
 * The channel socket of {@link provideChannelSocket}, typed by your event map. Call it in an injection context.
 *
 * ```ts
 * @Component({ template: `<b>{{ chsk.status() }}</b> {{ last()?.text }}` })
 * export class Chat {
 *   chsk = injectChannelSocket<ChatEvents>();
 *   last = this.chsk.event('chat/msg');
 *   say(text: string) { this.chsk.client.send(['chat/send', { text }]).subscribe(); }
 * }
 * ```
 */
export function injectChannelSocket<M extends EventMapOf<M> = DefaultEventMap>(): ChannelSocket<M> {
  return inject(CHANNEL_SOCKET) as unknown as ChannelSocket<M>;
}
