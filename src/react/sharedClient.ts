import { asyncScheduler, type Subscription } from 'rxjs';
import type { ChannelSocketClient } from '../client/createClient';
import { createChannelSocketClient } from '../client/createChannelSocketClient';
import type { ClientOptions } from '../client/clientOptions';
import { inertClient } from '../frameworks/inertClient';

/** A client and the way to hold it open: `acquire()` returns its release. */
export interface SharedClient {
  readonly client: ChannelSocketClient;
  acquire(): () => void;
}

/**
 * A client that connects while anyone holds it and disconnects one scheduler tick after the last release.
 * Creating it has no side effect (the client starts with `autoConnect: false`), so the extra render StrictMode
 * makes costs an unused object, not a socket; and since StrictMode's unmount → mount runs in one go, the deferred
 * disconnect is cancelled by the second mount: one connection per provider, in development as in production.
 * During server rendering (no `window`) it is an inert client: no socket, no timer.
 */
export function sharedClient(options: ClientOptions): SharedClient {
  if (typeof window === 'undefined') return { client: inertClient(), acquire: () => () => undefined };
  const client = createChannelSocketClient({ ...options, autoConnect: false });
  const scheduler = options.scheduler ?? asyncScheduler;
  let holders = 0;
  let running = false;
  let pending: Subscription | undefined;
  return {
    client,
    acquire() {
      holders++;
      pending?.unsubscribe();
      pending = undefined;
      if (!running && options.autoConnect !== false) {
        running = true;
        client.reconnect(); // with no link yet, this starts the connection loop
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (--holders > 0) return;
        pending = scheduler.schedule(() => {
          pending = undefined;
          running = false;
          client.disconnect();
        });
      };
    },
  };
}
