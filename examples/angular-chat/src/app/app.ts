import { Component, DestroyRef, inject, signal } from '@angular/core';
import { injectChannelSocket } from 'sente-rx/angular';
import type { ChatEvents, ChatLine } from './events';

@Component({
  selector: 'app-root',
  template: `
    <h1>Angular chat</h1>
    <p>
      <span id="status" [class]="'status ' + chsk.status()">{{ chsk.status() }}</span> over {{ chsk.state().type }}
    </p>
    <ul id="log">
      @for (l of lines(); track l.id) {
        <li><b>{{ l.from }}</b>{{ l.text }}</li>
      }
    </ul>
    <form (submit)="send($event, text)">
      <input id="text" #text placeholder="say something" />
      <button>Send</button>
    </form>
  `,
})
export class App {
  readonly chsk = injectChannelSocket<ChatEvents>();
  readonly lines = signal<ChatLine[]>([]);

  constructor() {
    // Pushes arrive outside the zone; a signal update is all the view needs.
    const sub = this.chsk.client.events$.subscribe((ev) => {
      if (ev[0] === 'chat/msg') this.lines.update((l) => [...l, ev[1]]);
    });
    inject(DestroyRef).onDestroy(() => sub.unsubscribe());
    this.chsk.client.send(['chat/history', null], { timeoutMs: 5000 }).subscribe((r) => this.lines.update((l) => [...r.lines, ...l]));
  }

  send(e: Event, input: HTMLInputElement): void {
    e.preventDefault();
    if (!input.value.trim()) return;
    this.chsk.client.send(['chat/send', { text: input.value }], { timeoutMs: 5000 }).subscribe();
    input.value = '';
  }
}
