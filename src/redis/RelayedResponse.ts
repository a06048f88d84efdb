import type { AjaxResponse } from '../server/ajax/AjaxDirectory';

/** Where a relayed answer goes: back to the node that relayed the request. */
export interface RelayOrigin {
  answered(origin: string, id: number, status: number, headers: Record<string, string>, body: Buffer | undefined): void;
}

/**
 * The response of a request relayed from another node: the Ajax binding answers it like a real one, and its
 * status, headers and body travel back to the node holding the client's HTTP request. `abort()` is the client
 * leaving (the other node saw its request close).
 */
export class RelayedResponse implements AjaxResponse {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  destroyed = false;
  private readonly headers: Record<string, string> = {};
  private listeners: (() => void)[] = [];

  constructor(
    private readonly relay: RelayOrigin,
    private readonly origin: string,
    private readonly id: number,
  ) {}

  setHeader(name: string, value: string | number): this {
    this.headers[name.toLowerCase()] = String(value);
    return this;
  }

  end(body?: string | Buffer): this {
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = this.headersSent = true;
    this.relay.answered(this.origin, this.id, this.statusCode, this.headers, typeof body === 'string' ? Buffer.from(body) : body);
    this.fire();
    return this;
  }

  once(_event: 'close', listener: () => void): this {
    this.listeners.push(listener);
    return this;
  }

  /** The client went away before the answer. */
  abort(): void {
    if (this.writableEnded || this.destroyed) return;
    this.destroyed = true;
    this.fire();
  }

  private fire(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }
}
