import type { Observable } from 'rxjs';
import type { Frame } from '../packers/Packer';
import type { TransportType } from '../protocol/events';
import type { CloseReason } from './ClientState';

/** What a transport needs to open a link. */
export interface ConnectContext {
  /** The endpoint URL as given by the user (`/chsk`, `http://host:3000/chsk`). */
  readonly url: string;
  readonly clientId: string;
  /** Extra query parameters for the handshake and polls. */
  readonly params: Readonly<Record<string, string>>;
  /** The CSRF token to present, if any. */
  readonly csrfToken: string | undefined;
  /** True when frames are bytes (the packer is binary). */
  readonly binary: boolean;
  /**
   * The positions to present, JSON for the `rs` query parameter of the WebSocket URL or the Ajax handshake
   * (not of polls or probes); undefined on a first connect or when the server keeps no logs.
   */
  readonly resume?: string;
}

/** An open link: write frames, close it. */
export interface TransportLink {
  send(frame: Frame): void;
  close(code: number, reason: string): void;
}

/** What a transport reports while a link lives. A link reports `open` at most once and `close` exactly once, last. */
export type TransportSignal =
  | { readonly kind: 'open'; readonly link: TransportLink }
  | { readonly kind: 'message'; readonly data: Frame }
  | { readonly kind: 'error'; readonly message: string }
  | {
      readonly kind: 'close';
      readonly code: number;
      readonly reason: string;
      readonly clean: boolean;
      readonly opened: boolean;
      /** The server or a proxy refused the connection or a request (HTTP 401/403, `CHSK_REJECTED`). */
      readonly rejected?: boolean;
    }
  /**
   * The link now runs on another transport: `auto` fell back from WebSocket to Ajax (with `reason`
   * `'downgrading-ws-to-ajax'`, recorded as `lastClose`), or Ajax moved onto a WebSocket (no reason).
   */
  | { readonly kind: 'transport'; readonly type: TransportType; readonly reason?: CloseReason };

/**
 * A client transport: WebSocket and Ajax long-poll implement it, and so does the testing kit's fake.
 * `connect` is cold: subscribing opens one link, unsubscribing closes it. The Observable completes after
 * its `close` signal.
 */
export interface ClientTransport {
  readonly type: TransportType;
  connect(ctx: ConnectContext): Observable<TransportSignal>;
}
