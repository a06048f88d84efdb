import { asapScheduler, asyncScheduler, interval, type Subscriber, type Subscription } from 'rxjs';
import { ProtocolError } from '../../errors/ProtocolError';
import type { Frame } from '../../packers/Packer';
import { AjaxHeader, AjaxParam, BINARY_BODY_TYPE, decodeBody, encodeBody, framedSize, TEXT_BODY_TYPE } from '../../protocol/ajax';
import { CloseCode, ErrorCode } from '../../protocol/codes';
import { PROTOCOL_VERSION } from '../../protocol/messages';
import { isServerMessage } from '../../protocol/isServerMessage';
import type { ConnectContext, TransportLink, TransportSignal } from '../ClientTransport';
import type { AjaxTransportOptions, FetchResponseLike } from './ajaxTransport';
import { toHttpUrl } from './toWebSocketUrl';
import { UpgradeProbe } from './UpgradeProbe';

/** A finished request: status, headers, and the body (bytes for a 200 with a binary packer, else text). */
interface Answer {
  readonly status: number;
  readonly headers: FetchResponseLike['headers'];
  readonly body: string | Uint8Array;
}

/** Close codes for what went wrong on the client's side of an Ajax link. */
const ABNORMAL = 1006;
/** Waits before the retries of a failed poll (see `poll`). */
const POLL_RETRY_MS = [0, 250, 500, 1000, 2000];
const PROTOCOL_ERROR = 1002;

function messageOf(e: unknown): string {
  return String((e as Error)?.message ?? e);
}

/** A refusal's close code: 413 → 1009, 503 closing → 1001, a refused handshake (client id, version) → 4400, else 1006. */
function closeCodeOf(status: number, code: string | undefined): number {
  if (status === 413) return CloseCode.TooLarge;
  if (status === 503 && code === ErrorCode.Closed) return CloseCode.GoingAway;
  if (code === ErrorCode.BadClientId || code === ErrorCode.ProtocolVersion) return CloseCode.BadHandshake;
  return ABNORMAL;
}

/**
 * One Ajax link, from the handshake to its close: the poll loop (server → client, acknowledged by frame
 * count), the POST loop (client → server, strictly sequential, one tick's frames per POST), and, with
 * `upgrade`, the move onto a WebSocket.
 *
 * The move: a probe WebSocket opens with the token; the server swaps the connection onto it and ends the
 * Ajax stream with `x-chsk-upgraded` after everything queued before. Frames arriving on the socket before
 * that marker wait in `inbox`; frames the client writes after it wait in `outbox` until the last POST is
 * answered. So nothing is lost, duplicated or reordered in either direction.
 */
export class AjaxLink {
  private done = false;
  private opened = false;
  private token = '';
  /** Frames received so far (the acknowledgement sent with each poll). */
  private ack = 0;
  private maxBody = Infinity;
  /** Polls failed in a row on the network (a poll is idempotent thanks to the ack, so one is retried). */
  private pollFailures = 0;
  private retry: Subscription | undefined;
  private readonly controllers = new Set<AbortController>();
  private readonly url: string;
  // Client → server.
  private readonly out: Frame[] = [];
  private posting = false;
  private postTick: Subscription | undefined;
  // The move onto a WebSocket.
  private upgrades: Subscription | undefined;
  private probe: UpgradeProbe | undefined;
  private marker = false;
  private rx: 'ajax' | 'ws' = 'ajax';
  private tx: 'ajax' | 'draining' | 'ws' = 'ajax';
  private readonly inbox: Frame[] = [];
  private readonly outbox: Frame[] = [];

  constructor(
    private readonly o: AjaxTransportOptions,
    private readonly ctx: ConnectContext,
    private readonly sub: Subscriber<TransportSignal>,
  ) {
    this.url = toHttpUrl(ctx.url, { ...ctx.params, [AjaxParam.ClientId]: ctx.clientId });
  }

  /** The link handed to the client core: writes go to the POST loop, or to the socket once moved. */
  private readonly link: TransportLink = {
    send: (frame) => {
      if (this.done) return;
      if (this.tx === 'ws') return this.probe!.send(frame);
      if (this.tx === 'draining') return void this.outbox.push(frame);
      this.out.push(frame);
      this.postSoon();
    },
    close: (code, reason) => {
      if (this.done) return;
      this.stop();
      this.sub.next({ kind: 'close', code, reason, clean: true, opened: this.opened });
      this.sub.complete();
    },
  };

  start(): void {
    const url = toHttpUrl(this.ctx.url, {
      ...this.ctx.params,
      [AjaxParam.Version]: String(PROTOCOL_VERSION),
      [AjaxParam.ClientId]: this.ctx.clientId,
      [AjaxParam.Handshake]: '1',
      ...(this.ctx.resume ? { [AjaxParam.Resume]: this.ctx.resume } : {}),
    });
    this.request('GET', url, this.headers(false), undefined, this.o.connectTimeoutMs).then(
      (a) => {
        if (this.done) return;
        if (a.status !== 200) return this.refused(a);
        let frames: Frame[];
        try {
          frames = this.take(a);
          this.token = this.tokenOf(frames[0]);
        } catch (e) {
          return this.end(CloseCode.BadHandshake, 'bad handshake', messageOf(e));
        }
        const max = Number(a.headers.get(AjaxHeader.MaxBody));
        if (max > 0) this.maxBody = max;
        this.opened = true;
        this.sub.next({ kind: 'open', link: this.link });
        this.deliver(frames);
        this.poll();
        if (this.o.upgrade && !this.done) {
          this.upgrades = interval(this.o.upgrade.intervalMs, this.o.scheduler).subscribe(() => this.tryUpgrade());
        }
      },
      (e: unknown) => this.end(ABNORMAL, 'handshake request failed', messageOf(e)),
    );
  }

  /** The consumer unsubscribed: abort everything and tell the server, without reporting a close. */
  stop(): void {
    if (this.done) return;
    const wasOpen = this.opened && this.rx === 'ajax';
    this.teardown();
    if (wasOpen) this.goodbye();
  }

  // ---- Server → client.

  private poll(): void {
    if (this.done || this.marker) return;
    const headers = { ...this.headers(true), [AjaxHeader.Ack]: String(this.ack) };
    this.request('GET', this.url, headers, undefined, this.o.requestTimeoutMs, this.pollFailures > 0).then(
      (a) => {
        if (this.done) return;
        this.pollFailures = 0;
        if (a.status !== 200 && a.status !== 204) return this.refused(a);
        if (!this.accept(a, 'bad poll response')) return;
        const closed = a.headers.get(AjaxHeader.Closed);
        if (closed !== null) {
          const code = Number(closed) || ABNORMAL;
          return this.end(code, 'closed by the server', undefined, code === CloseCode.Normal || code === CloseCode.GoingAway);
        }
        if (a.headers.get(AjaxHeader.Upgraded) !== null) return this.onMarker();
        this.poll();
      },
      (e: unknown) => {
        if (this.done) return;
        // A reset (or a stale keep-alive socket) must not end the link while the server may still hold frames
        // for it (it keeps them `ajaxGraceMs`, 5 s by default): ask again with the same ack, on a fresh
        // connection, after 0, 250, 500, 1000 and 2000 ms (3.75 s in all), then give up (issue 10 #13).
        const wait = POLL_RETRY_MS[this.pollFailures++];
        if (wait === undefined || this.aborted(e)) return this.end(ABNORMAL, 'poll failed', messageOf(e));
        this.retry = this.o.scheduler.schedule(() => {
          this.retry = undefined;
          this.poll();
        }, wait);
      },
    );
  }

  /** True when a request ended because its deadline aborted it (not worth a retry). */
  private aborted(e: unknown): boolean {
    return (e as { name?: string })?.name === 'AbortError';
  }

  /** Decodes an answer's frames and drops any the client already has (a resent batch overlaps). */
  private take(a: Answer): Frame[] {
    if (a.status === 204) return [];
    const frames = decodeBody(a.body, this.ctx.binary);
    const seq = Number(a.headers.get(AjaxHeader.Seq));
    const start = seq - frames.length;
    if (!Number.isSafeInteger(seq) || start < 0 || start > this.ack) {
      throw new ProtocolError(ErrorCode.BadFrame, `answer covers frames ${start}..${seq}, but ${this.ack} were received`);
    }
    // An answer overtaken by a newer one (a poll and a POST answer cross): nothing in it is new.
    if (seq <= this.ack) return [];
    const fresh = frames.slice(this.ack - start);
    this.ack = seq;
    return fresh;
  }

  /** Delivers an answer's new frames; false when the link ended (a bad answer ends it as a protocol error). */
  private accept(a: Answer, what: string): boolean {
    let frames: Frame[];
    try {
      frames = this.take(a);
    } catch (e) {
      this.end(PROTOCOL_ERROR, what, messageOf(e));
      return false;
    }
    this.deliver(frames);
    return !this.done;
  }

  private deliver(frames: readonly Frame[]): void {
    for (const data of frames) {
      if (this.done) return;
      this.sub.next({ kind: 'message', data });
    }
  }

  private tokenOf(frame: Frame | undefined): string {
    if (frame === undefined) throw new ProtocolError(ErrorCode.BadMessage, 'empty handshake response');
    const m = this.o.packer.unpack(frame);
    if (!isServerMessage(m) || m.t !== 'hs' || typeof m.tk !== 'string' || m.tk.length === 0) {
      throw new ProtocolError(ErrorCode.BadMessage, 'the handshake carries no connection token');
    }
    return m.tk;
  }

  // ---- Client → server.

  private postSoon(): void {
    if (this.posting || this.postTick) return;
    // Frames written in the same tick leave in one POST. On the default real-time scheduler the end of the
    // tick is a microtask (asapScheduler; scheduler-exempt note: no bare timer is used, a zero-delay timer here cost the POST-answer fast path,
    // spec/integration/ajax.spec.ts); any other configured scheduler (TestScheduler) runs it, in virtual time.
    const tick = this.o.scheduler === asyncScheduler ? asapScheduler : this.o.scheduler;
    this.postTick = tick.schedule(() => {
      this.postTick = undefined;
      this.postNext();
    });
  }

  private postNext(): void {
    if (this.done || this.posting) return;
    if (this.out.length === 0) return this.drained();
    let n = 0;
    let size = 0;
    while (n < this.out.length) {
      const s = framedSize(this.out[n]!, this.ctx.binary);
      if (n > 0 && size + s > this.maxBody) break;
      size += s;
      n++;
    }
    const frames = this.out.splice(0, n);
    // With the ack, the server may answer with the frames written meanwhile (the replies of handlers that
    // answer at once), so a request costs one round trip and the held poll stays held.
    const headers = { ...this.headers(true), 'content-type': this.ctx.binary ? BINARY_BODY_TYPE : TEXT_BODY_TYPE, [AjaxHeader.Ack]: String(this.ack) };
    this.posting = true;
    this.request('POST', this.url, headers, encodeBody(frames, this.ctx.binary), this.o.requestTimeoutMs).then(
      (a) => {
        this.posting = false;
        if (this.done) return;
        if (a.status !== 204 && a.status !== 200) return this.refused(a);
        if (a.status === 200 && this.rx === 'ajax' && !this.accept(a, 'bad POST response')) return;
        this.postNext();
      },
      (e: unknown) => {
        this.posting = false;
        this.end(ABNORMAL, 'send failed', messageOf(e));
      },
    );
  }

  /** Every POST is answered: if the link is moving to the socket, writes may go there now. */
  private drained(): void {
    if (this.tx !== 'draining') return;
    this.tx = 'ws';
    for (const f of this.outbox.splice(0)) this.probe!.send(f);
  }

  // ---- The move onto a WebSocket.

  private tryUpgrade(): void {
    if (this.done || this.probe || this.marker || !this.o.upgrade) return;
    const probe: UpgradeProbe = new UpgradeProbe(this.o.upgrade.WebSocket, this.ctx, this.token, this.o.scheduler, this.o.connectTimeoutMs, {
      opened: () => {
        this.upgrades?.unsubscribe();
        if (this.marker) this.switchOver();
      },
      message: (f) => {
        if (this.rx === 'ws') this.deliver([f]);
        else this.inbox.push(f);
      },
      closed: (code, reason, clean, opened) => {
        if (this.probe !== probe) return;
        // A failed try (still blocked): stay on Ajax and try again at the next interval.
        if (!opened && !this.marker) return void (this.probe = undefined);
        this.end(code, reason, undefined, clean);
      },
    });
    this.probe = probe;
  }

  /** The last Ajax answer came (`x-chsk-upgraded`): polling stops; the socket takes over once open. */
  private onMarker(): void {
    this.marker = true;
    this.upgrades?.unsubscribe();
    if (!this.probe) return this.end(ABNORMAL, 'the server moved the connection to a WebSocket this client gave up');
    if (this.probe.opened) this.switchOver();
  }

  private switchOver(): void {
    this.rx = 'ws';
    this.sub.next({ kind: 'transport', type: 'ws' });
    this.deliver(this.inbox.splice(0));
    this.tx = this.posting || this.out.length > 0 ? 'draining' : 'ws';
  }

  // ---- Plumbing.

  private headers(withToken: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    if (withToken) h[AjaxHeader.Token] = this.token;
    if (this.ctx.csrfToken) h[AjaxHeader.Csrf] = this.ctx.csrfToken;
    return h;
  }

  /** One request with a deadline (an RxJS timer aborting it); the body is read before the deadline ends. */
  private request(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    timeoutMs: number,
    fresh = false,
  ): Promise<Answer> {
    const ac = new AbortController();
    this.controllers.add(ac);
    const deadline = this.o.scheduler.schedule(() => ac.abort(), timeoutMs);
    return this.o
      .fetch(url, { method, headers, body, signal: ac.signal, credentials: 'include', ...(fresh ? { fresh } : {}) })
      .then(async (r): Promise<Answer> => {
        const bytes = r.status === 200 && this.ctx.binary;
        return { status: r.status, headers: r.headers, body: bytes ? new Uint8Array(await r.arrayBuffer()) : await r.text() };
      })
      .finally(() => {
        deadline.unsubscribe();
        this.controllers.delete(ac);
      });
  }

  /** The server refused a request: the link ends with the refusal's code and message. */
  private refused(a: Answer): void {
    let code: string | undefined;
    let message = typeof a.body === 'string' ? a.body.slice(0, 200) : '';
    try {
      const j = JSON.parse(message) as { code?: unknown; message?: unknown };
      if (typeof j.code === 'string') code = j.code;
      if (typeof j.message === 'string') message = j.message;
    } catch {
      // not JSON: keep the text
    }
    const what = `HTTP ${a.status}${code ? ` ${code}` : ''}: ${message}`;
    // CHSK_REJECTED from the server, or a bare 401/403 (a proxy, a dev server with changeOrigin).
    const rejected = code === ErrorCode.Rejected || ((a.status === 401 || a.status === 403) && code === undefined);
    this.end(closeCodeOf(a.status, code), what, what, false, rejected);
  }

  /** Ends the link and reports it (optionally with an error first). */
  private end(code: number, reason: string, error?: string, clean = false, rejected = false): void {
    if (this.done) return;
    if (error !== undefined) this.sub.next({ kind: 'error', message: error });
    this.teardown();
    this.sub.next({ kind: 'close', code, reason, clean, opened: this.opened, ...(rejected ? { rejected } : {}) });
    this.sub.complete();
  }

  private teardown(): void {
    this.done = true;
    this.upgrades?.unsubscribe();
    this.postTick?.unsubscribe();
    this.retry?.unsubscribe();
    for (const ac of this.controllers) ac.abort();
    this.controllers.clear();
    this.probe?.dispose();
  }

  /** Best-effort `DELETE`, so the server closes the connection now instead of after its gap timeout. */
  private goodbye(): void {
    const ac = new AbortController();
    const deadline = this.o.scheduler.schedule(() => ac.abort(), this.o.connectTimeoutMs);
    this.o
      .fetch(this.url, { method: 'DELETE', headers: this.headers(true), signal: ac.signal, credentials: 'include' })
      .then((r) => r.text())
      .catch(() => undefined)
      .finally(() => deadline.unsubscribe());
  }
}
