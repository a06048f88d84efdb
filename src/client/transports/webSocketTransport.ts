import { Observable, type SchedulerLike } from 'rxjs';
import { ConfigError } from '../../errors/ConfigError';
import { ErrorCode } from '../../protocol/codes';
import { PROTOCOL_VERSION } from '../../protocol/messages';
import type { ClientTransport, ConnectContext, TransportSignal } from '../ClientTransport';
import { base64Url, toWebSocketUrl } from './toWebSocketUrl';

/**
 * An event handler property, checked bivariantly (method syntax) so that the browser's WebSocket and the `ws`
 * package's, whose handlers take their own richer event types, both fit.
 */
type Handler<E> = { bivarianceHack(ev: E): void }['bivarianceHack'] | null;

/** The part of the WebSocket API sente-rx uses; the browser's `WebSocket` and the `ws` package's both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onerror: Handler<unknown>;
  onclose: Handler<{ code: number; reason: string; wasClean: boolean }>;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: the browser's global, or `WebSocket` from the `ws` package on Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The subprotocol the client offers (the server selects it; see admitRequest.ts). */
export const WS_SUBPROTOCOL = 'sente-rx.v1';

/** Finds the WebSocket constructor to use, or explains how to provide one. */
export function resolveWebSocket(given: WebSocketConstructor | undefined): WebSocketConstructor {
  const ctor = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof ctor !== 'function') {
    throw new ConfigError(
      "no WebSocket: on Node, pass the `WebSocket` option (import WebSocket from 'ws')",
      ErrorCode.NoWebSocket,
    );
  }
  return ctor;
}

/**
 * On Node with the `ws` package, a function that corks the underlying TCP socket until the end of the tick, so
 * that the frames of a burst (requests sent together) leave in one `writev` rather than one syscall each; it
 * halved the client's CPU per request at 64 in flight (benchmarks/). `ws` keeps that socket in `_socket`;
 * browsers have no such field and coalesce writes themselves, so there this is `undefined`. The uncork is a
 * microtask queued after the first send, so it runs once the current callback and the promise continuations
 * queued with it (each sending its next request) are done: the socket's own I/O, the exception to "time is a
 * scheduler".
 */
function nodeSocketCorker(ws: WebSocketLike): (() => void) | undefined {
  const s = (ws as { _socket?: { cork(): void; uncork(): void } })._socket;
  if (typeof s?.cork !== 'function') return undefined; // not Node's net.Socket, so not Node either
  let corked = false;
  const uncork = (): void => {
    corked = false;
    s.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    s.cork();
    queueMicrotask(uncork);
  };
}

/** Gives up a WebSocket that has not opened within `timeoutMs` (scheduler time). */
export interface ConnectDeadline {
  readonly timeoutMs: number;
  readonly scheduler: SchedulerLike;
}

/**
 * The WebSocket transport. The CSRF token travels in `Sec-WebSocket-Protocol`, never in the URL. With a
 * `deadline`, an attempt that has not opened in time ends with a `close` signal (1006, `'connect timeout'`,
 * `opened: false`) and the client reconnects with its backoff, instead of waiting for the OS's TCP timeout
 * (a dropped SYN, a proxy that never answers the upgrade).
 */
export function webSocketTransport(WebSocketCtor: WebSocketConstructor, deadline?: ConnectDeadline): ClientTransport {
  return {
    type: 'ws',
    connect: (ctx: ConnectContext) =>
      new Observable<TransportSignal>((sub) => {
        // `rs`: the positions to resume from (AjaxParam.Resume, spelt here so the WebSocket-only bundle skips ajax.ts).
        const url = toWebSocketUrl(ctx.url, { ...ctx.params, v: String(PROTOCOL_VERSION), cid: ctx.clientId, ...(ctx.resume ? { rs: ctx.resume } : {}) });
        const protocols = [WS_SUBPROTOCOL];
        if (ctx.csrfToken) protocols.push(`csrf.${base64Url(ctx.csrfToken)}`);
        let ws: WebSocketLike;
        try {
          ws = new WebSocketCtor(url, protocols);
        } catch (e) {
          sub.next({ kind: 'error', message: String((e as Error)?.message ?? e) });
          sub.next({ kind: 'close', code: 1006, reason: 'WebSocket constructor threw', clean: false, opened: false });
          sub.complete();
          return;
        }
        ws.binaryType = 'arraybuffer';
        let opened = false;
        let done = false;
        /** `ws` (Node) reports an HTTP answer other than 101 as "Unexpected server response: <status>". */
        let rejected = false;
        let lastError = '';
        const giveUp = deadline?.scheduler.schedule(() => {
          stop();
          done = true;
          sub.next({ kind: 'close', code: 1006, reason: 'connect timeout', clean: false, opened: false });
          sub.complete();
        }, deadline.timeoutMs);
        ws.onopen = () => {
          opened = true;
          giveUp?.unsubscribe();
          const corker = nodeSocketCorker(ws);
          sub.next({
            kind: 'open',
            link: {
              send: (frame) => {
                if (ws.readyState !== 1) return;
                corker?.();
                ws.send(frame);
              },
              close: (code, reason) => ws.close(code, reason),
            },
          });
        };
        ws.onmessage = (ev) => {
          const d = ev.data;
          sub.next({ kind: 'message', data: typeof d === 'string' ? d : new Uint8Array(d as ArrayBuffer) });
        };
        ws.onerror = (ev) => {
          const message = (ev as { message?: string })?.message ?? 'WebSocket error';
          if (/Unexpected server response: 40[13]\b/.test(message)) rejected = true;
          lastError = message;
          sub.next({ kind: 'error', message });
        };
        ws.onclose = (ev) => {
          done = true;
          giveUp?.unsubscribe();
          const refused = rejected && !opened;
          sub.next({ kind: 'close', code: ev.code, reason: refused ? lastError : ev.reason, clean: ev.wasClean, opened, ...(refused ? { rejected } : {}) });
          sub.complete();
        };
        function stop(): void {
          // Keep a no-op error handler: `ws` emits an error when closing a socket that is still connecting.
          ws.onopen = ws.onmessage = ws.onclose = null;
          ws.onerror = () => undefined;
          ws.close(1000, 'client closed');
        }
        return () => {
          giveUp?.unsubscribe();
          if (!done) stop();
        };
      }),
  };
}
