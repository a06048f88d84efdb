import type { Server } from 'http';
import type { Router } from 'express';
import { firstValueFrom, from, race, timer } from 'rxjs';
import { CloseCode } from '../protocol/codes';
import type { ChskRequest, DefaultEventMap, EventMapOf } from '../protocol/events';
import type { EventSchemas, InferEventMap } from '../schemas/EventSchemas';
import { createAjaxContext } from './ajax/AjaxContext';
import { startAjaxDirectory } from './ajax/startAjaxDirectory';
import { attachWebSocket } from './attachWebSocket';
import { createAjaxRouter } from './createAjaxRouter';
import { serverApi, type ChannelSocketServerCore } from './serverApi';
import { ServerCore } from './ServerCore';
import { resolveServerOptions, type ServerOptions } from './serverOptions';

/** The server side of a channel socket. See README, "Server API". `Req`: the app's request type (`ServerOptions<Req>`). */
export interface ChannelSocketServer<M extends EventMapOf<M> = DefaultEventMap, Req extends ChskRequest = ChskRequest> extends ChannelSocketServerCore<M, Req> {
  /** Express router: GET = Ajax handshake and long-poll, POST = Ajax sends. Mount it at the same path. */
  readonly router: Router;
  /**
   * Serves WebSocket upgrades on `httpServer` at `path` (ws with `noServer`); upgrades to other paths are left
   * to their owners. The app's `upgradeMiddleware` runs on the upgrade request before the checks.
   */
  attach(httpServer: Server): void;
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
 *
 * Given `schemas` (Standard Schema validators per event id), the event map is inferred from them and every
 * incoming event is validated before user code sees it; otherwise pass the map as a type argument.
 *
 * The app's request type `Req` (what its middleware puts on the request) types every hook and `msg.req`: it is
 * inferred from a hook whose parameter is annotated (`userId: (req: AppRequest) => ...`), or passed after the
 * map (`createChannelSocketServer<Events, AppRequest>(...)`).
 */
export function createChannelSocketServer<const S extends EventSchemas, Req extends ChskRequest = ChskRequest>(
  options: ServerOptions<Req> & { schemas: S },
): ChannelSocketServer<InferEventMap<S>, Req>;
export function createChannelSocketServer<M extends EventMapOf<M> = DefaultEventMap, Req extends ChskRequest = ChskRequest>(
  options?: ServerOptions<Req>,
): ChannelSocketServer<M, Req>;
export function createChannelSocketServer<M extends EventMapOf<M> = DefaultEventMap, Req extends ChskRequest = ChskRequest>(
  options: ServerOptions<Req> = {},
): ChannelSocketServer<M, Req> {
  // The core works on the bare request type: `Req` only says what the app's middleware put on it.
  const o = resolveServerOptions(options as unknown as ServerOptions);
  const core = new ServerCore(o);
  const ajax = createAjaxContext(core);
  startAjaxDirectory(ajax);
  const attachments: ReturnType<typeof attachWebSocket>[] = [];
  let closed: Promise<void> | undefined;

  const close = (): Promise<void> =>
    (closed ??= (async () => {
      const sockets = attachments.flatMap((a) => [...a.sockets]);
      const adapterClosed = core.shutdown(CloseCode.GoingAway, 'server closing');
      // Held polls were answered with the close marker by the shutdown; release the rest (upgraded, closing).
      for (const conn of ajax.registry.all()) conn.dispose();
      // Relayed requests still waiting on other nodes' connections are answered now (503).
      const directoryClosed = ajax.directory.close();
      const waitAll = Promise.all(sockets.map((ws) => (ws.readyState === 3 ? undefined : new Promise((r) => ws.once('close', r)))));
      // race() cancels the timer once every socket has closed, so close() leaves no timer behind.
      await firstValueFrom(race(from(waitAll), timer(o.closeTimeoutMs, o.scheduler)));
      for (const ws of sockets) if (ws.readyState !== 3) ws.terminate();
      for (const a of attachments) a.detach();
      await directoryClosed;
      await adapterClosed;
    })());

  return {
    ...(serverApi<M>(core, close) as unknown as ChannelSocketServerCore<M, Req>),
    router: createAjaxRouter(ajax),
    attach(httpServer) {
      attachments.push(attachWebSocket(core, httpServer, ajax));
    },
  };
}
