// useTopic and chsk.topic() are typed by the event map: the README's React and Angular topic snippets compile,
// wrong ids and data do not. Compiled by `npm run typecheck`, never run.
import { createChannelSocketHooks, useTopic } from '../../src/react';
import type { ChannelSocket } from '../../src/angular';

interface RoomEvents {
  'room/msg': { data: { from: string; text: string } };
  'ticker/tick': { data: { price: number } };
}

const hooks = createChannelSocketHooks<RoomEvents>();
export function Room(id: string, setLines: (f: (l: string[]) => string[]) => void): string {
  const { error } = hooks.useTopic<'room/msg'>(`room/${id}`, ([, m]) => setLines((l) => [...l, `${m.from}: ${m.text}`]));
  const { last } = hooks.useTopic<'ticker/tick'>('ticker', { symbol: 'ACME' });
  const price: number | undefined = last?.[1].price;
  // @ts-expect-error: a room message has no price
  hooks.useTopic<'room/msg'>('room/1', ([, m]) => m.price);
  hooks.useTopic('room/1', { page: 2 }, { onEvent: (ev) => ev[0] === 'room/msg' && ev[1].text, onError: (e) => e.message });
  const untyped = useTopic('room/1');
  const e: Error | undefined = untyped.error ?? error;
  return `${price}${e?.message}`;
}

export function angularRoom(chsk: ChannelSocket<RoomEvents>): string | undefined {
  const room = chsk.topic<'room/msg'>('room/42');
  const err: Error | undefined = room.error();
  // @ts-expect-error: a room message has no price
  void room()?.[1].price;
  return room()?.[1].text ?? err?.message;
}
