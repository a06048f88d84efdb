import { assertInInjectionContext, computed, DestroyRef, inject, InjectionToken, Injector, makeEnvironmentProviders, NgZone, PLATFORM_ID, signal, type EnvironmentProviders } from '@angular/core';
import { Observable } from 'rxjs';
import type { ChannelSocketClient } from '../client/createClient';
import { createChannelSocketClient } from '../client/createChannelSocketClient';
import type { ClientOptions } from '../client/clientOptions';
import { inertClient } from '../frameworks/inertClient';
import type { ChannelSocket } from './ChannelSocket';

/** The token {@link provideChannelSocket} fills; {@link injectChannelSocket} reads it. */
export const CHANNEL_SOCKET = new InjectionToken<ChannelSocket>('sente-rx ChannelSocket');

/**
 * Provides one channel socket client to an application (or a route's environment injector):
 *
 * ```ts
 * bootstrapApplication(App, { providers: [provideChannelSocket({ url: '/chsk' })] });
 * ```
 *
 * The client is created outside Angular's zone, so its sockets and timers never keep the app from becoming
 * stable (hydration, service workers and `whenStable` wait for that); its state and pushes reach views through
 * signals, which Angular picks up with or without zone.js. It is disconnected when the injector is destroyed.
 * On the server (`PLATFORM_ID` is `'server'`) it is inert: no socket, no timer, status `'closed'`.
 * `options` may be a function, run in the injection context and only in the browser (to read a token,
 * `location`, ...).
 */
export function provideChannelSocket(options: ClientOptions | (() => ClientOptions) = {}): EnvironmentProviders {
  return makeEnvironmentProviders([{ provide: CHANNEL_SOCKET, useFactory: () => createChannelSocket(options) }]);
}

function createChannelSocket(options: ClientOptions | (() => ClientOptions)): ChannelSocket {
  const zone = inject(NgZone, { optional: true });
  const outside = <T>(f: () => T): T => (zone ? zone.runOutsideAngular(f) : f());
  const inside = (f: () => void): void => (zone && !NgZone.isInAngularZone() ? zone.run(f) : f());
  const onServer = inject(PLATFORM_ID, { optional: true }) === 'server'; // what isPlatformServer() tests
  // An options function runs in the browser only (it may read `location`, `localStorage`, ...).
  const raw: ChannelSocketClient = onServer
    ? inertClient()
    : outside(() => createChannelSocketClient(typeof options === 'function' ? options() : options));

  const state = signal(raw.state$.value);
  const sub = outside(() => raw.state$.subscribe((s) => state.set(s)));
  inject(DestroyRef).onDestroy(() => {
    outside(() => raw.disconnect()); // first, so the state signal ends on 'closed'
    sub.unsubscribe();
  });

  // Sends start outside the zone (their reply timers must not hold the app unstable) and deliver inside it.
  const viaZone = <T>(source: () => Observable<T>): Observable<T> =>
    new Observable<T>((out) =>
      outside(() =>
        source().subscribe({
          next: (v) => inside(() => out.next(v)),
          error: (e: unknown) => inside(() => out.error(e)),
          complete: () => inside(() => out.complete()),
        }),
      ),
    );
  const client: ChannelSocketClient = {
    ...raw,
    send: (event, o) => viaZone(() => raw.send(event, o)),
    stream$: (event, o) => viaZone(() => raw.stream$(event, o)),
    topic$: (topic, params) => viaZone(() => raw.topic$(topic, params)),
    emit: (event) => viaZone(() => raw.emit(event)),
    disconnect: () => outside(() => raw.disconnect()),
    reconnect: () => outside(() => raw.reconnect()),
  };

  /** The injector whose `DestroyRef` ends a signal's subscription (asserting an injection context without one). */
  const contextOf = (o: { injector?: Injector }, fn: Parameters<typeof assertInInjectionContext>[0]): Injector => {
    if (!o.injector) assertInInjectionContext(fn);
    return o.injector ?? inject(Injector);
  };
  return {
    client,
    state: state.asReadonly(),
    status: computed(() => state().status),
    event(id, o = {}) {
      const injector = contextOf(o, this.event);
      const value = signal(o.initialValue);
      const s = outside(() => raw.events$.subscribe((ev) => ev[0] === id && value.set(ev[1])));
      injector.get(DestroyRef).onDestroy(() => s.unsubscribe());
      return value.asReadonly();
    },
    topic(topic, params, o = {}) {
      const injector = contextOf(o, this.topic);
      const value = signal(o.initialValue);
      const error = signal<Error | undefined>(undefined);
      // Joined outside the zone, delivered inside it (as send's replies are).
      const s = client.topic$(topic, params).subscribe({ next: (ev) => value.set(ev as typeof o.initialValue), error: (e: Error) => error.set(e) });
      injector.get(DestroyRef).onDestroy(() => s.unsubscribe());
      return Object.assign(value.asReadonly(), { error: error.asReadonly() });
    },
  };
}
