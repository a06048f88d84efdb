import { Observable, type SchedulerLike } from 'rxjs';
import { ConfigError } from '../../errors/ConfigError';
import type { Packer } from '../../packers/Packer';
import type { ClientTransport, ConnectContext, TransportSignal } from '../ClientTransport';
import { AjaxLink } from './AjaxLink';
import type { WebSocketConstructor } from './webSocketTransport';

/** The part of a `fetch` Response the Ajax transport reads. */
export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The request options the Ajax transport passes to `fetch`. */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  credentials?: 'include' | 'same-origin' | 'omit';
  /**
   * Set on the retry of a failed poll: open a new connection rather than reuse a pooled keep-alive one that
   * may be dead too. `httpFetch` honours it; a `fetch` that cannot ignores it.
   */
  fresh?: boolean;
}

/** A `fetch` function: the global one of browsers and Node ≥ 18, or any compatible implementation. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

/** Options of {@link ajaxTransport}. */
export interface AjaxTransportOptions {
  readonly fetch: FetchLike;
  /** Reads the connection token out of the handshake frame. */
  readonly packer: Packer;
  /** Every timer (request deadlines, POST coalescing, upgrade probes) runs on it. */
  readonly scheduler: SchedulerLike;
  /** Deadline of the handshake request and of a probe WebSocket's opening. */
  readonly connectTimeoutMs: number;
  /** Deadline of each poll and POST. */
  readonly requestTimeoutMs: number;
  /** Try to move the link onto a WebSocket every `intervalMs` (the `'auto'` type). Absent: stay on Ajax. */
  readonly upgrade?: { readonly WebSocket: WebSocketConstructor; readonly intervalMs: number };
}

/** Finds the `fetch` to use, or explains how to provide one. */
export function resolveFetch(given: FetchLike | undefined): FetchLike {
  const f = given ?? (globalThis as { fetch?: FetchLike }).fetch;
  if (typeof f !== 'function') {
    throw new ConfigError('no fetch implementation for the Ajax transport: pass the `fetch` option, or use Node >= 18 or a browser');
  }
  // Unbound `window.fetch` throws "Illegal invocation" in browsers.
  return given ?? ((url, init) => f.call(globalThis, url, init));
}

/**
 * The Ajax long-poll transport (PROTOCOL.md, "Ajax long-poll transport") on `fetch`: a handshake GET, then one held poll at a
 * time for the server's frames and strictly sequential POSTs for the client's (frames written in one tick
 * share a POST). Unsubscribing aborts every request and tells the server (`DELETE`).
 */
export function ajaxTransport(options: AjaxTransportOptions): ClientTransport {
  return {
    type: 'ajax',
    connect: (ctx: ConnectContext) =>
      new Observable<TransportSignal>((sub) => {
        const link = new AjaxLink(options, ctx, sub);
        link.start();
        return () => link.stop();
      }),
  };
}
