import type { SchedulerLike, Subscription } from 'rxjs';
import type { Frame } from '../../packers/Packer';
import { AjaxParam, TOKEN_SUBPROTOCOL_PREFIX } from '../../protocol/ajax';
import { PROTOCOL_VERSION } from '../../protocol/messages';
import type { ConnectContext } from '../ClientTransport';
import { base64Url, toWebSocketUrl } from './toWebSocketUrl';
import { WS_SUBPROTOCOL, type WebSocketConstructor, type WebSocketLike } from './webSocketTransport';

/** What a probe reports to the Ajax link that opened it. */
export interface ProbeEvents {
  /** The server accepted the probe: from now on the connection's frames come on this socket. */
  opened(): void;
  message(frame: Frame): void;
  /** The probe closed: before opening (`opened` false: a failed try) or after (the connection is gone). */
  closed(code: number, reason: string, clean: boolean, opened: boolean): void;
}

/**
 * A WebSocket that asks the server to take over an Ajax connection: `upgrade=1` in the URL and the token
 * in a `tk.<token>` `Sec-WebSocket-Protocol` entry (never in the URL, which ends up in logs). It reports
 * `closed` with `opened: false` if it does not open within `timeoutMs`.
 */
export class UpgradeProbe {
  private readonly ws: WebSocketLike | undefined;
  private timer: Subscription | undefined;
  private isOpen = false;
  private done = false;

  constructor(
    WebSocketCtor: WebSocketConstructor,
    ctx: ConnectContext,
    token: string,
    scheduler: SchedulerLike,
    timeoutMs: number,
    private readonly on: ProbeEvents,
  ) {
    const url = toWebSocketUrl(ctx.url, {
      ...ctx.params,
      [AjaxParam.Version]: String(PROTOCOL_VERSION),
      [AjaxParam.ClientId]: ctx.clientId,
      [AjaxParam.Upgrade]: '1',
    });
    const protocols = [WS_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token];
    if (ctx.csrfToken) protocols.push(`csrf.${base64Url(ctx.csrfToken)}`);
    try {
      this.ws = new WebSocketCtor(url, protocols);
    } catch {
      this.done = true;
      scheduler.schedule(() => on.closed(1006, 'could not construct the WebSocket', false, false));
      return;
    }
    const ws = this.ws;
    ws.binaryType = 'arraybuffer';
    this.timer = scheduler.schedule(() => {
      if (!this.isOpen) this.fail(4408, 'probe did not open in time');
    }, timeoutMs);
    ws.onopen = () => {
      this.isOpen = true;
      this.timer?.unsubscribe();
      on.opened();
    };
    ws.onmessage = (ev) => {
      const d = ev.data;
      on.message(typeof d === 'string' ? d : new Uint8Array(d as ArrayBuffer));
    };
    ws.onerror = () => undefined;
    ws.onclose = (ev) => {
      if (this.done) return;
      this.done = true;
      this.timer?.unsubscribe();
      on.closed(ev.code, ev.reason, ev.wasClean, this.isOpen);
    };
  }

  get opened(): boolean {
    return this.isOpen;
  }

  send(frame: Frame): void {
    if (this.ws?.readyState === 1) this.ws.send(frame);
  }

  /** Closes the socket without reporting anything. */
  dispose(code = 1000, reason = 'client closed'): void {
    this.timer?.unsubscribe();
    if (this.done || !this.ws) return;
    this.done = true;
    const ws = this.ws;
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Keep a no-op error handler: `ws` emits an error when closing a socket that is still connecting.
    ws.onerror = () => undefined;
    ws.close(code, reason);
  }

  private fail(code: number, reason: string): void {
    this.dispose(1000, reason);
    this.on.closed(code, reason, false, false);
  }
}
