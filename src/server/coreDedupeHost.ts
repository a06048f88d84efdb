import { ErrorCode } from '../protocol/codes';
import { MessageType, type ErrorMessage, type HandshakeMessage, type ReplyMessage } from '../protocol/messages';
import { isPackedReply } from './adapter/Dedupe';
import type { ServerAdapter } from './adapter/ServerAdapter';
import type { ConnWriter } from './ConnWriter';
import type { DedupeHost } from './DedupeGate';
import type { RequestReplies } from './RequestReplies';
import type { ServerConn } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';
import type { StatsCounters } from './ServerStats';
import type { ResolvedServerOptions } from './serverOptions';

/** The parts of the server core the dedupe gate works with. */
export interface CoreDedupeParts {
  readonly options: ResolvedServerOptions;
  /** The dedupe window (ms). */
  readonly windowMs: number;
  readonly counters: StatsCounters;
  readonly out: ConnWriter;
  /** The core's requests and replies (made after the gate: asked for when the gate first needs them). */
  replies(): RequestReplies;
  report(r: ServerErrorReport): void;
}

/** The core's side of the dedupe gate's work (see {@link DedupeHost}). */
export function coreDedupeHost(core: CoreDedupeParts): DedupeHost {
  const { options, windowMs, counters, out } = core;
  const holds = (conn: ServerConn, rid: number, held: object): boolean => conn.open && conn.pending?.get(rid) === held;
  return {
    scheduler: options.scheduler,
    windowMs,
    waitMs: options.requestTimeoutMs === Infinity ? windowMs : options.requestTimeoutMs,
    handle: (conn, m, data) => core.replies().dispatch(conn, m, data),
    answer: (conn, m, stored, held) => {
      counters.duplicates++;
      if (m.t === MessageType.Event) return void (m.mid !== undefined && out.ack(conn, m.mid));
      const replies = core.replies();
      if (held ? !(holds(conn, m.rid, held) && replies.take(conn, m.rid)) : !replies.register(conn, m)) return;
      if (!held) replies.take(conn, m.rid);
      const mid = m.mid!;
      const was = stored === undefined ? undefined : isPackedReply(stored) ? (options.packer.unpack(stored) as ReplyMessage | ErrorMessage) : stored;
      out.write(conn, was ? { ...was, rid: m.rid } : { t: MessageType.Error, rid: m.rid, mid, code: ErrorCode.BadMessage, msg: `message id ${mid} was an event` });
    },
    hold: (conn, m) => core.replies().register(conn, m),
    holds,
    unhold: (conn, rid, held) => void (holds(conn, rid, held) && core.replies().take(conn, rid)),
    inFrame: (conn, fn) => out.inFrame(conn, fn),
    report: (r) => core.report(r),
  };
}

/**
 * What the handshake says of dedupe (`hs.dd`): the adapter's dedupe epoch, `1` for an adapter without one, or
 * (a Promise of) the epoch read from a shared record; a read that fails is reported and the handshake then says
 * nothing of dedupe (the client does not resend into a record it cannot name; the server still dedupes).
 */
export function dedupeEpochOf(adapter: ServerAdapter, conn: ServerConn, report: (r: ServerErrorReport) => void): string | 1 | Promise<string | undefined> {
  const fail = (error: unknown): undefined => {
    report({ code: ErrorCode.AdapterError, message: 'could not read the dedupe epoch: the handshake leaves out dd (the client will not send again what a cut left unanswered)', clientId: conn.clientId, uid: conn.uid, error });
    return undefined;
  };
  if (!adapter.dedupeEpoch) return 1;
  try {
    const e = adapter.dedupeEpoch();
    return e instanceof Promise ? e.catch(fail) : e;
  } catch (error) {
    return Promise.resolve(fail(error));
  }
}

/** The handshake with the dedupe epoch read for it (nothing of dedupe when it could not be read). */
export function withDedupe(hs: HandshakeMessage, epoch: string | undefined): HandshakeMessage {
  return epoch === undefined ? hs : { ...hs, dd: epoch };
}
