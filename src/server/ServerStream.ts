import { isObservable, Subject, takeUntil, type Subscription } from 'rxjs';
import { ChannelError } from '../errors/ChannelError';
import { ErrorCode } from '../protocol/codes';
import { MessageType, type ServerBatchable, type ServerMessage, type StreamItemMessage } from '../protocol/messages';

/** What a stream needs from its connection. */
export interface StreamLink {
  /** Packs and writes `m` to the stream's connection; throws when `m` cannot be packed. */
  write(m: ServerMessage): void;
  /** Called once when the stream is over, however it ended: the connection forgets it. */
  done(stream: ServerStream): void;
  /** Reports a failure the server survived (`errors$`). */
  report(code: string, message: string, error?: unknown): void;
}

/** How a stream ends once its queue has drained: completed (`se`) or failed (`x`). */
type Ending = { readonly code?: undefined } | { readonly code: string; readonly msg: string };

/**
 * One streamed reply on the server: the source, the client's credit, and the items waiting for credit.
 *
 * The client grants a window of `window` items with its request and more with each `cr`. An `Iterable` or
 * `AsyncIterable` source is pulled only while there is credit, so it never runs ahead. An `Observable` cannot be
 * paused: its items wait in a queue of at most `window` items once the credit is spent, and one more ends the
 * stream with `CHSK_STREAM_OVERFLOW` (the source is unsubscribed). Memory per stream is thus bounded by the
 * window whatever the source does; the server caps the window at `maxStreamWindow`.
 */
export class ServerStream {
  private credit: number;
  private readonly queue: unknown[] = [];
  /** Set when the source ended while items still wait for credit: sent once they have gone out. */
  private ending: Ending | undefined;
  private over = false;
  private readonly stop = new Subject<void>();
  private sub: Subscription | undefined;
  private iter: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  private async = false;
  private pulling = false;
  /** Called once when the stream is over (runHandler forgets it then). */
  onOver: (() => void) | undefined;

  constructor(
    readonly rid: number,
    readonly window: number,
    private readonly link: StreamLink,
  ) {
    this.credit = window;
  }

  /** True once the stream has ended, failed or been cancelled. */
  get isOver(): boolean {
    return this.over;
  }

  /** Subscribes to (or starts pulling) the source. */
  start(source: unknown): void {
    if (isObservable(source)) {
      this.sub = source.pipe(takeUntil(this.stop)).subscribe({
        next: (v) => this.item(v),
        error: (e: unknown) => this.sourceFailed(e),
        complete: () => this.end({}),
      });
      return;
    }
    const s = source as Partial<AsyncIterable<unknown> & Iterable<unknown>> | null | undefined;
    try {
      if (typeof s?.[Symbol.asyncIterator] === 'function') {
        this.iter = s[Symbol.asyncIterator]!();
        this.async = true;
      } else if (typeof s?.[Symbol.iterator] === 'function' && typeof source !== 'string') {
        this.iter = s[Symbol.iterator]!();
      }
    } catch (e) {
      return this.sourceFailed(e);
    }
    if (!this.iter) return this.fail(ErrorCode.NotAStream, 'replyStream needs an Observable, an Iterable or an AsyncIterable');
    this.pull();
  }

  /** The client granted `n` more items (`cr`). Unused credit never exceeds the window. Returns false if it granted nothing. */
  grant(n: number): boolean {
    if (this.over || this.credit >= this.window) return false;
    this.credit = Math.min(this.credit + n, this.window);
    this.drain();
    if (this.iter && !this.over) this.pull();
    return true;
  }

  /** Stops the stream without a word to the client (it cancelled, or its connection closed). Runs the source's finaliser. */
  cancel(): void {
    if (this.over) return;
    this.over = true;
    this.queue.length = 0;
    this.stop.next();
    this.sub?.unsubscribe();
    const it = this.iter;
    this.iter = undefined;
    try {
      const r = it?.return?.();
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, () => undefined);
    } catch {
      // a finaliser that throws while being stopped has nobody left to tell
    }
    this.link.done(this);
    this.onOver?.();
  }

  /** Ends the stream at once with an error `x` (items still waiting are dropped) and stops the source. */
  fail(code: string, msg: string): void {
    if (this.over) return;
    try {
      this.link.write({ t: MessageType.Error, rid: this.rid, code, msg });
    } finally {
      this.cancel();
    }
  }

  private item(v: unknown): void {
    if (this.over) return;
    if (this.credit > 0 && this.queue.length === 0) {
      this.credit--;
      this.send([v]);
      return;
    }
    this.queue.push(v);
    if (this.queue.length > this.window) {
      this.link.report(ErrorCode.StreamOverflow, `stream ${this.rid}: the source ran more than ${this.window} items ahead of the client's credit`);
      this.fail(ErrorCode.StreamOverflow, `the source ran more than the window (${this.window} items) ahead of what the client consumed`);
    }
  }

  private sourceFailed(e: unknown): void {
    if (this.over) return;
    // An app's own ChannelError (a RemoteError, say) carries the code it chose; anything else is a failure whose
    // details stay on the server.
    if (e instanceof ChannelError) return this.end({ code: e.code, msg: e.message });
    this.link.report(ErrorCode.HandlerError, `stream ${this.rid}: its source failed`, e);
    this.end({ code: ErrorCode.HandlerError, msg: 'the stream source failed' });
  }

  private end(how: Ending): void {
    if (this.over) return;
    this.ending = how;
    if (this.queue.length === 0) this.finish();
  }

  private finish(): void {
    const how = this.ending!;
    if (how.code !== undefined) return this.fail(how.code, how.msg);
    try {
      this.link.write({ t: MessageType.StreamEnd, rid: this.rid });
    } finally {
      this.cancel();
    }
  }

  /** Sends what waits, as far as the credit goes; then the end, if the source has ended and nothing waits. */
  private drain(): void {
    if (this.queue.length > 0 && this.credit > 0) {
      const n = Math.min(this.credit, this.queue.length);
      this.credit -= n;
      this.send(this.queue.splice(0, n));
    }
    if (!this.over && this.queue.length === 0 && this.ending) this.finish();
  }

  /** Pulls from an iterable source while there is credit. */
  private pull(): void {
    if (this.async) return this.pullAsync();
    const it = this.iter as Iterator<unknown>;
    const items: unknown[] = [];
    let done = false;
    try {
      while (this.credit > 0 && !this.over) {
        const r = it.next();
        if (r.done) {
          done = true;
          break;
        }
        this.credit--;
        items.push(r.value);
      }
    } catch (e) {
      if (items.length > 0) this.send(items);
      return this.sourceFailed(e);
    }
    if (items.length > 0) this.send(items);
    if (done) this.end({});
  }

  private pullAsync(): void {
    if (this.pulling || this.over || this.credit === 0) return;
    const it = this.iter as AsyncIterator<unknown>;
    this.pulling = true;
    let next: Promise<IteratorResult<unknown>>;
    try {
      next = Promise.resolve(it.next());
    } catch (e) {
      this.pulling = false;
      return this.sourceFailed(e);
    }
    next.then(
      (r) => {
        this.pulling = false;
        if (this.over) return;
        if (r.done) return this.end({});
        this.credit--;
        this.send([r.value]);
        this.pullAsync();
      },
      (e: unknown) => {
        this.pulling = false;
        this.sourceFailed(e);
      },
    );
  }

  /** Writes items as one `si`, or one batch of them. An item that cannot be packed ends the stream. */
  private send(items: unknown[]): void {
    if (this.over) return;
    const ms = items.map((d): StreamItemMessage => ({ t: MessageType.StreamItem, rid: this.rid, d }));
    try {
      this.link.write(ms.length === 1 ? ms[0]! : { t: MessageType.Batch, ms: ms as ServerBatchable[] });
    } catch (e) {
      this.link.report(ErrorCode.HandlerError, `stream ${this.rid}: an item could not be packed`, e);
      this.fail(ErrorCode.HandlerError, 'an item of the stream could not be packed');
    }
  }
}
