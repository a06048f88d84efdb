import { asapScheduler, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { Frame } from '../../packers/Packer';
import { AjaxHeader, BINARY_BODY_TYPE, encodeBody, TEXT_BODY_TYPE } from '../../protocol/ajax';
import { CloseCode, ErrorCode } from '../../protocol/codes';
import type { ConnectionHandle, ServerConnection } from '../ServerConnection';
import type { AjaxResponse } from './AjaxDirectory';
import type { TokenHolder } from './AjaxRegistry';

/** What an Ajax connection needs from its server. */
export interface AjaxEnv {
  readonly scheduler: SchedulerLike;
  readonly binary: boolean;
  readonly longPollTimeoutMs: number;
  /** Longest gap allowed between two polls (`ajaxGraceMs`). */
  readonly gapMs: number;
  readonly coalesceMs: number;
  readonly maxQueue: number;
  report(code: string, message: string, conn: AjaxConnection): void;
  /** Called once when the connection is done for good, to unregister its token. */
  dispose(conn: AjaxConnection): void;
}

/** How this Ajax stream ended: the server closed it (with a close code) or it moved to a WebSocket. */
type End = { readonly kind: 'closed'; readonly code: number } | { readonly kind: 'upgraded' };

/**
 * One Ajax long-poll connection: the {@link ServerConnection} the core writes to, holding a bounded queue
 * of packed frames and at most one waiting poll.
 *
 * Delivery is acknowledged with a cumulative frame count, as in TCP: every 200 answer says how many frames
 * the connection has sent in all (`x-chsk-seq`), and every poll says how many the client has processed
 * (`x-chsk-ack`). Frames stay queued until acknowledged and each answer carries every frame from the ack on,
 * so a response lost on the way (a poll that died, a late duplicate) is simply sent again: nothing lost,
 * nothing reordered, and the client drops any overlap.
 */
export class AjaxConnection implements ServerConnection, TokenHolder {
  readonly transport = 'ajax' as const;
  /** The core's handle, set by {@link attach} right after `core.open`. */
  handle: ConnectionHandle | undefined;
  /** Frames not yet acknowledged, oldest first; `pending[0]` has index `base`. */
  private pending: Frame[] = [];
  private base = 0;
  /** Index one past the last frame ever answered. */
  private sentEnd = 0;
  private held: { readonly res: AjaxResponse; readonly timeout: Subscription } | undefined;
  private flushTimer: Subscription | undefined;
  private gapTimer: Subscription | undefined;
  /** POSTs being handled whose answer will carry the frames written meanwhile (see `receive`). */
  private riders = 0;
  private end: End | undefined;
  private disposed = false;
  /**
   * Where "the end of the tick" is scheduled. On the default real-time scheduler a microtask (asapScheduler:
   * a burst still leaves in one answer and a lone reply pays no timer delay); any other configured scheduler
   * (a TestScheduler) runs it, so the server is driven wholly in its time, as the client's AjaxLink does.
   */
  private readonly tick: SchedulerLike;

  constructor(
    readonly clientId: string,
    readonly selector: string,
    readonly secret: string,
    private readonly env: AjaxEnv,
  ) {
    this.tick = env.scheduler === asyncScheduler ? asapScheduler : env.scheduler;
  }

  /** True while POSTed frames still reach the core: open, or upgraded (the connection lives on, on the ws). */
  get accepts(): boolean {
    return !this.disposed && (this.end === undefined || this.end.kind === 'upgraded');
  }

  /** True while a probe WebSocket may take this connection over. */
  get upgradable(): boolean {
    return !this.disposed && this.end === undefined && this.handle !== undefined;
  }

  // ServerConnection: called by the core.

  send(frame: Frame): void {
    if (this.end || this.disposed) return;
    if (this.pending.length >= this.env.maxQueue) {
      this.env.report(ErrorCode.QueueFull, `Ajax queue full (maxAjaxQueue: ${this.env.maxQueue}); closing the connection`, this);
      this.terminate(CloseCode.QueueFull, 'outgoing queue full');
      return;
    }
    this.pending.push(frame);
    // While a POST that can carry frames back is being handled, its answer takes them (see `receive`).
    if (this.riders === 0) this.flushSoon();
  }

  close(code: number, reason: string): void {
    if (this.end || this.disposed) return;
    this.terminate(code, reason);
  }

  // The router's side.

  /** Binds the core's handle (a connection that already ended while opening is reported closed at once). */
  attach(handle: ConnectionHandle): void {
    this.handle = handle;
    if (this.end?.kind === 'closed') handle.closed(this.end.code, 'closed while opening');
  }

  /** Answers the handshake GET with every frame queued so far (the handshake first); they count in the sequence. */
  answerHandshake(res: AjaxResponse, maxBody: number): void {
    res.setHeader(AjaxHeader.MaxBody, String(maxBody));
    this.answer(res);
  }

  /**
   * A poll arrived, saying the client processed `ack` frames in all. A poll replaces a held one (answered
   * 204); one older than what was already acknowledged is answered 204 at once. Returns false when `ack` is
   * beyond what was ever sent (the caller answers 400).
   */
  poll(res: AjaxResponse, ack: number): boolean {
    if (!Number.isSafeInteger(ack) || ack < 0 || ack > this.sentEnd) return false;
    this.gapTimer?.unsubscribe();
    this.gapTimer = undefined;
    if (ack < this.base) {
      // A poll the client already gave up on, arriving late: leave the newer state alone.
      this.write(res, [], undefined);
      if (!this.held) this.armGap();
      return true;
    }
    this.pending.splice(0, ack - this.base);
    this.base = ack;
    if (this.held) {
      const old = this.held;
      this.held = undefined;
      old.timeout.unsubscribe();
      this.write(old.res, [], undefined);
    }
    if (this.end || this.disposed || this.pending.length > 0) {
      this.answer(res);
      return true;
    }
    const timeout = this.env.scheduler.schedule(() => {
      if (this.held?.res === res) this.flush();
    }, this.env.longPollTimeoutMs);
    this.held = { res, timeout };
    res.once('close', () => {
      // The client went away with the poll held (aborted, network). Its frames stay pending.
      if (this.held?.res !== res) return;
      this.held = undefined;
      timeout.unsubscribe();
      this.flushTimer?.unsubscribe();
      this.flushTimer = undefined;
      this.armGap();
    });
    return true;
  }

  /**
   * Frames POSTed by the client, in order. False when the connection is gone (the caller answers 410).
   * Without `answer` the caller answers 204. With it (the client sent `x-chsk-ack`, so it reads frames from
   * POST answers), the POST is answered at the end of the tick: with every unacknowledged frame, as a poll
   * would be, when any frame was written since the last answer (the replies of handlers that answer at once
   * ride back on the request's own round trip, and the held poll stays held), else `204`.
   */
  receive(frames: readonly Frame[], answer?: AjaxResponse): boolean {
    if (!this.accepts || !this.handle) return false;
    if (!answer) {
      for (const f of frames) this.handle.receive(f);
      return true;
    }
    this.riders++;
    const handle = this.handle;
    const reply = (): void =>
      void this.tick.schedule(() => {
        this.riders--;
        this.answerPost(answer);
      });
    try {
      for (const f of frames) handle.receive(f);
    } finally {
      // Messages whose dedupe claim is awaited (Redis) are handled when it comes back: the answer waits for
      // them, so the replies of handlers that answer at once still ride on it.
      const idle = handle.idle?.();
      if (idle) idle.then(reply, reply);
      else reply();
    }
    return true;
  }

  /**
   * The client has processed `ack` frames in all (a POST's `x-chsk-ack`): they are dropped from the queue.
   * False when `ack` is beyond what was ever sent; an `ack` older than the last one changes nothing.
   */
  acknowledge(ack: number): boolean {
    if (!Number.isSafeInteger(ack) || ack < 0 || ack > this.sentEnd) return false;
    if (ack > this.base) {
      this.pending.splice(0, ack - this.base);
      this.base = ack;
    }
    return true;
  }

  /** The client said goodbye (DELETE): close at once. */
  closeByClient(): void {
    if (this.end || this.disposed) return;
    this.terminate(CloseCode.Normal, 'client closed');
  }

  /**
   * Moves the core's connection onto `link` (the client's probe WebSocket). The pending frames, then the
   * `x-chsk-upgraded` marker, go out on the current or next poll; every later frame goes to `link`.
   */
  upgrade(link: ServerConnection): boolean {
    if (!this.upgradable || !this.handle!.swapLink(link)) return false;
    this.end = { kind: 'upgraded' };
    if (this.held) this.flush();
    return true;
  }

  /** Releases everything (gap expiry, server shutdown); a held poll is answered first. */
  dispose(): void {
    if (this.disposed) return;
    this.flush();
    this.disposed = true;
    this.gapTimer?.unsubscribe();
    this.flushTimer?.unsubscribe();
    this.gapTimer = this.flushTimer = undefined;
    this.pending = [];
    this.env.dispose(this);
  }

  private terminate(code: number, reason: string): void {
    this.end = { kind: 'closed', code };
    if (this.held) this.flush();
    this.handle?.closed(code, reason);
  }

  /** Answers the held poll soon (coalesceMs 0: at the end of the tick, see {@link tick}). */
  private flushSoon(): void {
    if (!this.held || this.flushTimer) return;
    const scheduler = this.env.coalesceMs === 0 ? this.tick : this.env.scheduler;
    this.flushTimer = scheduler.schedule(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.env.coalesceMs);
  }

  private answerPost(res: AjaxResponse): void {
    const unsent = this.base + this.pending.length > this.sentEnd;
    if (unsent && !this.end && !this.disposed && !res.writableEnded && !res.destroyed) {
      const frames = this.pending.slice();
      this.sentEnd = this.base + frames.length;
      res.setHeader(AjaxHeader.Seq, String(this.sentEnd));
      this.write(res, frames, undefined);
      return;
    }
    this.write(res, [], undefined);
    // What this answer could not carry goes on the held poll.
    if (unsent && this.riders === 0) this.flushSoon();
  }

  private flush(): void {
    this.flushTimer?.unsubscribe();
    this.flushTimer = undefined;
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    held.timeout.unsubscribe();
    this.answer(held.res);
  }

  /** Answers a request with every unacknowledged frame, plus the end marker if the stream ended. */
  private answer(res: AjaxResponse): void {
    const frames = this.pending.slice();
    if (frames.length > 0) {
      this.sentEnd = this.base + frames.length;
      res.setHeader(AjaxHeader.Seq, String(this.sentEnd));
    }
    this.write(res, frames, this.end);
    this.armGap();
  }

  private write(res: AjaxResponse, frames: readonly Frame[], end: End | undefined): void {
    if (res.writableEnded || res.destroyed) return;
    res.setHeader('cache-control', 'no-store');
    if (end?.kind === 'closed') res.setHeader(AjaxHeader.Closed, String(end.code));
    if (end?.kind === 'upgraded') res.setHeader(AjaxHeader.Upgraded, '1');
    if (frames.length === 0) {
      res.statusCode = 204;
      res.end();
      return;
    }
    const body = encodeBody(frames, this.env.binary);
    res.statusCode = 200;
    res.setHeader('content-type', this.env.binary ? BINARY_BODY_TYPE : TEXT_BODY_TYPE);
    res.end(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }

  /** No poll is held: if none arrives within the gap, the client is gone. */
  private armGap(): void {
    if (this.disposed) return;
    this.gapTimer?.unsubscribe();
    this.gapTimer = this.env.scheduler.schedule(() => {
      this.gapTimer = undefined;
      if (this.held) return;
      if (!this.end) this.terminate(CloseCode.KeepAliveTimeout, `no poll within ${this.env.gapMs} ms`);
      this.dispose();
    }, this.env.gapMs);
  }
}
