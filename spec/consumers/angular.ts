// An Angular app's view of sente-rx/angular (plain functions: no decorators, no Angular compiler), compiled by
// scripts/checkConsumerTypes.mjs with `types: []` and skipLibCheck off.
import type { Signal } from '@angular/core';
import { injectChannelSocket, provideChannelSocket, type ClientStatus } from 'sente-rx/angular';

interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
  'chat/msg': { data: { from: string; text: string } };
}
export const providers = [provideChannelSocket({ url: '/chsk' })];
export function chat(): [Signal<ClientStatus>, Signal<{ from: string; text: string } | undefined>] {
  const chsk = injectChannelSocket<ChatEvents>();
  chsk.client.send(['chat/send', { text: 'hi' }]).subscribe((r) => r.ok);
  return [chsk.status, chsk.event('chat/msg')];
}
