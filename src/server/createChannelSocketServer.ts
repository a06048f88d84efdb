import type { Server } from 'http';
import { firstValueFrom, from, race, timer, type BehaviorSubject, type Observable } from 'rxjs';
import type { Router } from 'express';
import { CloseCode } from '../protocol/codes';
import {
  NIL_UID,
  type DefaultEventMap,
  type Event,
  type EventId,
  type EventMapOf,
  type ServerEventMsg,
} from '../protocol/events';
import { MessageType, type EventMessage } from '../protocol/messages';
import { attachWebSocket } from './attachWebSocket';
import { createAjaxRouter } from './createAjaxRouter';
import type { ConnectedUids } from './Presence';
import { ServerCore, type ServerErrorReport } from './ServerCore';
import { resolveServerOptions, type ServerOptions } from './serverOptions';

/** The server side of a channel socket. See README, "Server API". */
export interface ChannelSocketServer<M extends EventMapOf<M> = DefaultEventMap> {
  /** Express router: GET = Ajax handshake and long-poll, POST = Ajax sends. Mount it at the same path. */
  readonly router: Router;
  /** Serves WebSocket upgrades on `httpServer` at `path`; other upgrade paths are left alone. */
  attach(httpServer: Server): void;
  /** Every event message from every client, plus `chsk/uidport-open` / `chsk/uidport-close`. Completes on `close()`. */
  readonly events$: Observable<ServerEventMsg<M>>;
  /** Bad input and failures in user code the server survived. Completes on `close()`. */
  readonly errors$: Observable<ServerErrorReport>;
  /** Connected uids per transport (`NIL_UID` stands for users without a uid), with grace periods applied. */
  readonly connectedUids$: BehaviorSubject<ConnectedUids>;
  /**
   * Pushes an event to every connected client (tab, device) of `uid`; `null` or `NIL_UID` reaches every
   * user without a uid. Returns the number of connections it was written to (0: nobody is connected).
   */
  send(uid: string | null, event: Event<M>): number;
  /** Pushes an event to every connected client. Returns the number of connections reached. */
  broadcast(event: Event<M>): number;
  /** Ends every socket, timer and subscription; `events$`, `errors$` and `connectedUids$` complete. */
  close(): Promise<void>;
}

/**
 * Creates the server side of a channel socket.
 *
 * ```ts
 * const chsk = createChannelSocketServer<ChatEvents>({ userId: (req) => req.session?.uid ?? null });
 * app.use('/chsk', chsk.router);
 * chsk.attach(httpServer);
 * chsk.events$.pipe(ofEvent('chat/send')).subscribe((m) => m.reply?.({ ok: true }));
 * ```
 */
export function createChannelSocketServer<M extends EventMapOf<M> = DefaultEventMap>(
  options: ServerOptions = {},
): ChannelSocketServer<M> {
  const o = resolveServerOptions(options);
  const core = new ServerCore(o);
  const attachments: ReturnType<typeof attachWebSocket>[] = [];
  let closed: Promise<void> | undefined;

  const pushMessage = (event: Event<M>): EventMessage => {
    const ev = event as readonly [string, unknown];
    return { t: MessageType.Event, ev: ev.length >= 2 && ev[1] !== undefined ? [ev[0], ev[1]] : [ev[0]] };
  };

  return {
    router: createAjaxRouter(core),
    attach(httpServer) {
      attachments.push(attachWebSocket(core, httpServer));
    },
    events$: core.events.asObservable() as Observable<ServerEventMsg<M>>,
    errors$: core.errors.asObservable(),
    connectedUids$: core.presence.connectedUids$,
    send(uid, event) {
      return core.pushTo(core.adapter.connectionsOf(uid ?? NIL_UID), pushMessage(event));
    },
    broadcast(event) {
      return core.pushTo(core.adapter.allConnections(), pushMessage(event));
    },
    close() {
      closed ??= (async () => {
        const sockets = attachments.flatMap((a) => [...a.sockets]);
        core.shutdown(CloseCode.GoingAway, 'server closing');
        const waitAll = Promise.all(sockets.map((ws) => (ws.readyState === 3 ? undefined : new Promise((r) => ws.once('close', r)))));
        // race() unsubscribes the loser: a Promise.race left the timer running (and the process alive) after the sockets closed.
        await firstValueFrom(race(from(waitAll), timer(o.closeTimeoutMs, o.scheduler)));
        for (const ws of sockets) if (ws.readyState !== 3) ws.terminate();
        for (const a of attachments) a.detach();
      })();
      return closed;
    },
  };
}

export type { EventId };
