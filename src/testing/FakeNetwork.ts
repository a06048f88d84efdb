import { Observable, type SchedulerLike } from 'rxjs';
import type { ClientTransport, ConnectContext, TransportLink, TransportSignal } from '../client/ClientTransport';
import type { Frame } from '../packers/Packer';
import type { ChskRequest, TransportType } from '../protocol/events';
import type { ServerCore } from '../server/ServerCore';
import type { ConnectionHandle } from '../server/ServerConnection';

/**
 * The fault a client's link is in: `'up'` (frames flow), `'blackhole'` (frames vanish, nobody is told) or
 * `'cut'` (the link was dropped and this client's connections are refused).
 */
export type LinkMode = 'up' | 'blackhole' | 'cut';

/**
 * Controls over one client's link, for fault tests in virtual time. The controls act on the client id, not on one
 * connection: they apply to the link the client has now and to those it opens later, until changed.
 *
 * ```ts
 * ts.schedule(() => t.link('c1').cut(), 1_000);     // an outage of this client from 1 s
 * ts.schedule(() => t.link('c1').restore(), 3_000); // over at 3 s: its next attempt connects
 * ```
 */
export interface LinkControl {
  /** Frames in both directions vanish; nobody is told (a half-open TCP connection). Keep-alive notices it. */
  blackhole(): void;
  /**
   * Ends a fault: after {@link blackhole}, frames flow again on the same link; after {@link cut}, the client's
   * next connection attempt succeeds (the client reconnects on its own backoff). The extra delay stays.
   */
  restore(): void;
  /** Cuts the link: both sides see an abnormal close (1006). The client may reconnect at once. */
  drop(): void;
  /**
   * An outage of this client: the link is dropped (1006 on both sides, as {@link drop}) and every connection
   * attempt of this client is refused (1006) until {@link restore}.
   */
  cut(): void;
  /**
   * Adds `ms` of one-way delay to every frame of this client's link, both directions, on top of the network's
   * `latencyMs` (`0` takes it away again). Frames keep their order: a frame never overtakes one written before
   * it. A `RangeError` when `ms` is not a finite number >= 0.
   */
  delay(ms: number): void;
  /** The fault the link is in now. */
  readonly mode: LinkMode;
}

/** Who a fake client is on the server. */
export interface FakeIdentity {
  readonly uid: string | null;
  /** The request the server's events carry. @default a minimal request object */
  readonly req?: Partial<ChskRequest>;
}

/**
 * An in-memory network between the server core and any number of client cores, on the scheduler: every
 * frame is packed and unpacked by the real packer and delivered `latencyMs` later, so `TestScheduler.run`
 * drives it in virtual time.
 */
export class FakeNetwork {
  /** When true, new connections are refused (the server is unreachable). */
  refuseConnections = false;
  private readonly links = new Map<string, LinkState>();

  /**
   * @param core The server core the links end in.
   * @param scheduler The scheduler every frame is delivered on (a `TestScheduler` in tests).
   * @param latencyMs The one-way delay of every frame, in ms.
   */
  constructor(
    private readonly core: ServerCore,
    private readonly scheduler: SchedulerLike,
    private readonly latencyMs: number,
  ) {}

  /** Fault controls over the link of client `clientId` (see {@link LinkControl}). */
  control(clientId: string): LinkControl {
    const state = (): LinkState => this.stateOf(clientId);
    return {
      blackhole: () => void (state().mode = 'blackhole'),
      restore: () => void (state().mode = 'up'),
      drop: () => state().drop?.(),
      cut: () => {
        const s = state();
        s.mode = 'cut';
        s.drop?.();
      },
      delay: (ms: number) => {
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
          throw new RangeError(`LinkControl.delay: ms must be a finite number >= 0, got ${String(ms)}`);
        }
        state().extraMs = ms;
      },
      get mode(): LinkMode {
        return state().mode;
      },
    };
  }

  /** A client transport whose links end in this network's server, as `who`. */
  transport(who: FakeIdentity, type: TransportType = 'ws'): ClientTransport {
    return { type, connect: (ctx) => this.connect(ctx, who, type) };
  }

  private stateOf(clientId: string): LinkState {
    let s = this.links.get(clientId);
    if (!s) this.links.set(clientId, (s = { mode: 'up', extraMs: 0 }));
    return s;
  }

  private connect(ctx: ConnectContext, who: FakeIdentity, type: TransportType): Observable<TransportSignal> {
    return new Observable<TransportSignal>((sub) => {
      const state = this.stateOf(ctx.clientId);
      const later = (fn: () => void) => this.scheduler.schedule(fn, this.latencyMs);
      // Frames of one direction arrive in the order they were written, whatever delay() did in between.
      const lastArrival = { up: -Infinity, down: -Infinity };
      const deliver = (dir: 'up' | 'down', fn: () => void): void => {
        const now = this.scheduler.now();
        const at = Math.max(now + this.latencyMs + state.extraMs, lastArrival[dir]);
        lastArrival[dir] = at;
        this.scheduler.schedule(fn, at - now);
      };
      let handle: ConnectionHandle | undefined;
      let opened = false;
      let closed = false;
      const flowing = () => !closed && state.mode === 'up';
      const finish = (code: number, reason: string): void => {
        if (closed) return;
        closed = true;
        if (state.drop === dropThis) state.drop = undefined;
        handle?.closed(code, reason);
        sub.next({ kind: 'close', code, reason, clean: code === 1000 || code === 1001, opened });
        sub.complete();
      };
      const dropThis = (): void => void later(() => finish(1006, 'link dropped'));
      state.drop = dropThis;
      const clientLink: TransportLink = {
        send: (frame: Frame) => {
          if (flowing()) deliver('up', () => flowing() && handle?.receive(frame));
        },
        // A close frame follows the frames written before it (even on a blackholed link: the test ends it).
        close: (code, reason) => deliver('up', () => finish(code, reason)),
      };
      const start = later(() => {
        if (this.refuseConnections || state.mode === 'cut' || this.core.isClosing) return finish(1006, 'connection refused');
        opened = true;
        sub.next({ kind: 'open', link: clientLink });
        const req = { url: `/chsk?cid=${ctx.clientId}`, headers: {}, method: 'GET', ...who.req } as ChskRequest;
        handle = this.core.open(
          {
            transport: type,
            send: (frame) => {
              if (flowing()) deliver('down', () => flowing() && sub.next({ kind: 'message', data: frame }));
            },
            close: (code, reason) => deliver('down', () => finish(code, reason)),
          },
          { uid: who.uid, clientId: ctx.clientId, req, handshakeData: this.core.options.handshakeData?.(req), resume: ctx.resume },
        );
      });
      return () => {
        start.unsubscribe();
        if (state.drop === dropThis) state.drop = undefined;
        if (!closed) {
          closed = true;
          handle?.closed(1000, 'client closed');
        }
      };
    });
  }
}

/** What the network knows of one client id's link. */
interface LinkState {
  mode: LinkMode;
  /** Extra one-way delay of this client's frames, in ms. */
  extraMs: number;
  /** Drops the client's current link, while it has one. */
  drop?: () => void;
}
