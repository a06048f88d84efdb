import type { Subject } from 'rxjs';
import { ErrorCode } from '../protocol/codes';
import { NIL_UID, type ChskRequest, type ServerEventMsg, type UidPortMsg } from '../protocol/events';
import type { SubscriberFailure } from './GuardedObservable';
import type { ServerConn } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';

/**
 * Hands messages to `events$` subscribers, remembering the one being delivered so that a subscriber's failure
 * is reported with its context; builds the `chsk/uidport-open` / `-close` events.
 */
export class EventDelivery {
  /** The message `events` is delivering, for the context of a subscriber's failure. */
  private delivering: ServerEventMsg | UidPortMsg | undefined;

  constructor(
    private readonly events: Subject<ServerEventMsg<never> | ServerEventMsg>,
    private readonly report: (r: ServerErrorReport) => void,
  ) {}

  /** An `events$` subscriber failed (see `GuardedObservable`): reported with the message being delivered. */
  subscriberFailed(error: unknown, where: SubscriberFailure): void {
    const m = this.delivering;
    const why = String((error as Error)?.message ?? error);
    const message =
      where === 'next'
        ? `an events$ subscriber threw${m ? ` on "${m.id}"` : ''}: ${why}`
        : where === 'unhandled'
          ? `an events$ subscription failed with no error callback and has ended${m ? ` (on "${m.id}")` : ''}: ${why}`
          : `an events$ subscriber's ${where} callback threw: ${why}`;
    this.report({ code: ErrorCode.HandlerError, message, clientId: m?.clientId, uid: m?.uid, error });
  }

  /** Hands a message to `events$` subscribers, remembering it for the context of a failure. */
  deliver(m: ServerEventMsg | UidPortMsg): void {
    const outer = this.delivering;
    this.delivering = m;
    try {
      this.events.next(m);
    } finally {
      this.delivering = outer;
    }
  }

  /**
   * A uid arrived in the cluster or left it: `chsk/uidport-open` / `-close` with the context of the connection
   * that caused it (on another node that died: an empty client id and request).
   */
  uidPort(key: string, open: boolean, conn: ServerConn | undefined): void {
    const id = open ? 'chsk/uidport-open' : 'chsk/uidport-close';
    const msg: UidPortMsg = {
      event: [id, key],
      id,
      data: key,
      uid: conn ? conn.uid : key === NIL_UID ? null : key,
      clientId: conn?.clientId ?? '',
      transport: conn?.transport ?? 'ws',
      req: conn?.req ?? NO_REQUEST,
    };
    if (!this.events.closed && !this.events.isStopped) this.deliver(msg);
  }
}

/** The `req` of a uidport event whose connection was on a node that died. */
const NO_REQUEST = { headers: {} } as ChskRequest;
