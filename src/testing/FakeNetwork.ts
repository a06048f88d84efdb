import { Observable, type SchedulerLike } from 'rxjs';
import type { ClientTransport, ConnectContext, TransportLink, TransportSignal } from '../client/ClientTransport';
import type { Frame } from '../packers/Packer';
import type { ChskRequest, TransportType } from '../protocol/events';
import type { ServerCore } from '../server/ServerCore';
import type { ConnectionHandle } from '../server/ServerConnection';

/** The fault a link is in. */
export type LinkMode = 'up' | 'blackhole';

/** Controls over one client's link, for fault tests. */
export interface LinkControl {
  /** Frames in both directions vanish; nobody is told (a half-open TCP connection). */
  blackhole(): void;
  /** Frames flow again. */
  restore(): void;
  /** Cuts the link: both sides see an abnormal close (1006). */
  drop(): void;
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
  private readonly links = new Map<string, { mode: LinkMode; drop?: () => void }>();

  constructor(
    private readonly core: ServerCore,
    private readonly scheduler: SchedulerLike,
    private readonly latencyMs: number,
  ) {}

  control(clientId: string): LinkControl {
    const state = (): { mode: LinkMode; drop?: () => void } => {
      let s = this.links.get(clientId);
      if (!s) this.links.set(clientId, (s = { mode: 'up' }));
      return s;
    };
    return {
      blackhole: () => void (state().mode = 'blackhole'),
      restore: () => void (state().mode = 'up'),
      drop: () => state().drop?.(),
    };
  }

  /** A client transport whose links end in this network's server, as `who`. */
  transport(who: FakeIdentity, type: TransportType = 'ws'): ClientTransport {
    return { type, connect: (ctx) => this.connect(ctx, who, type) };
  }

  private connect(ctx: ConnectContext, who: FakeIdentity, type: TransportType): Observable<TransportSignal> {
    return new Observable<TransportSignal>((sub) => {
      const later = (fn: () => void) => this.scheduler.schedule(fn, this.latencyMs);
      const state = this.links.get(ctx.clientId) ?? { mode: 'up' as LinkMode };
      this.links.set(ctx.clientId, state);
      let handle: ConnectionHandle | undefined;
      let opened = false;
      let closed = false;
      const flowing = () => !closed && state.mode === 'up';
      const finish = (code: number, reason: string): void => {
        if (closed) return;
        closed = true;
        handle?.closed(code, reason);
        sub.next({ kind: 'close', code, reason, clean: code === 1000 || code === 1001, opened });
        sub.complete();
      };
      state.drop = () => later(() => finish(1006, 'link dropped'));
      const clientLink: TransportLink = {
        send: (frame: Frame) => {
          if (flowing()) later(() => flowing() && handle?.receive(frame));
        },
        close: (code, reason) => later(() => finish(code, reason)),
      };
      const start = later(() => {
        if (this.refuseConnections || this.core.isClosing) return finish(1006, 'connection refused');
        opened = true;
        sub.next({ kind: 'open', link: clientLink });
        const req = { url: `/chsk?cid=${ctx.clientId}`, headers: {}, method: 'GET', ...who.req } as ChskRequest;
        handle = this.core.open(
          {
            transport: type,
            send: (frame) => {
              if (flowing()) later(() => flowing() && sub.next({ kind: 'message', data: frame }));
            },
            close: (code, reason) => later(() => finish(code, reason)),
          },
          { uid: who.uid, clientId: ctx.clientId, req, handshakeData: this.core.options.handshakeData?.(req) },
        );
      });
      return () => {
        start.unsubscribe();
        if (!closed) {
          closed = true;
          handle?.closed(1000, 'client closed');
        }
      };
    });
  }
}
