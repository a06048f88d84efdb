import { ChannelError } from '../errors/ChannelError';
import { CloseCode, ErrorCode } from '../protocol/codes';
import { MessageType, type AckMessage, type ErrorMessage, type ServerMessage } from '../protocol/messages';
import { isReplyId } from '../protocol/validateMessage';
import type { PushBatcher } from './PushBatcher';
import type { ServerConn } from './ServerConn';
import type { ServerErrorReport } from './ServerErrorReport';
import type { ResolvedServerOptions } from './serverOptions';

/** What {@link ConnWriter} needs from the server core. */
export interface WriterHost {
  readonly options: ResolvedServerOptions;
  readonly pushes: PushBatcher;
  report(r: ServerErrorReport): void;
  /** The connection has closed (see `ServerCore.closed`). */
  closed(conn: ServerConn): void;
}

/**
 * What the core writes straight to a connection (replies, errors, pongs, acks) in the order the protocol needs:
 * earlier pushes and the collected acks first. Also the refusals of bad input, and kicking a connection.
 */
export class ConnWriter {
  constructor(private readonly host: WriterHost) {}

  /** Packs and writes one message, after the pushes and acks that must go before it. */
  write(conn: ServerConn, m: ServerMessage): void {
    this.beforeWrite(conn);
    conn.write(this.host.options.packer.pack(m));
  }

  /**
   * Acknowledges an accepted event. While the core works through one incoming frame the acks are collected
   * and leave together (one `a`, or one batch of them) before anything else is written to the connection, so a
   * batch of 1000 emits costs one frame back, not 1000 (an Ajax queue holds frames, not messages).
   */
  ack(conn: ServerConn, mid: number): void {
    if (conn.acks) conn.acks.push(mid);
    else this.write(conn, { t: MessageType.Ack, mid });
  }

  /**
   * Before a reply, an error or a stream item is written straight to a connection: pushes made earlier (in the
   * same handler, say) that still wait out their batch window go first, then the collected acks, so nothing
   * written later overtakes them. The acks written at the end of an incoming frame do not flush pushes: an
   * emit's ack promises only that the server has the event, and flushing there would undo push batching
   * for every chatty client.
   */
  beforeWrite(conn: ServerConn): void {
    this.host.pushes.flushBefore(conn.key);
    this.flushAcks(conn);
  }

  private flushAcks(conn: ServerConn): void {
    const acks = conn.acks;
    if (!acks || acks.length === 0) return;
    conn.acks = [];
    const ms: AckMessage[] = acks.map((mid) => ({ t: MessageType.Ack, mid }));
    conn.write(this.host.options.packer.pack(ms.length === 1 ? ms[0]! : { t: MessageType.Batch, ms }));
  }

  /**
   * Refuses a message with an `x` error carrying the `rid` and `mid` of `from` (the message as received, when
   * its ids are valid), so the client can tell which send was refused.
   */
  refuse(conn: ServerConn, e: unknown, from?: unknown): void {
    const code = e instanceof ChannelError ? e.code : ErrorCode.BadMessage;
    const msg = e instanceof Error ? e.message : String(e);
    this.host.report({ code, message: msg, clientId: conn.clientId, uid: conn.uid, error: e });
    const rid = idOf(from, 'rid');
    const mid = idOf(from, 'mid');
    const x: ErrorMessage = {
      t: MessageType.Error,
      code,
      msg,
      ...(rid !== undefined ? { rid } : {}),
      ...(mid !== undefined ? { mid } : {}),
    };
    this.write(conn, x);
    if (PROTOCOL_ERRORS.has(code) && ++conn.protocolErrors >= this.host.options.maxProtocolErrors) {
      this.kick(conn, CloseCode.PolicyViolation, `${ErrorCode.TooManyErrors}: ${conn.protocolErrors} protocol errors`);
    }
  }

  /** Closes one connection from the server side; frames still in flight from it are ignored. */
  kick(conn: ServerConn, code: number, reason: string): void {
    if (!conn.open) return;
    conn.link.close(code, reason);
    this.host.closed(conn);
  }

  /** Runs `fn` collecting the acks it produces; they leave together at the end (see {@link ack}). */
  inFrame(conn: ServerConn, fn: () => void): void {
    // A frame fed from inside an events$ subscriber of this connection's own frame (the testing kit) joins
    // the outer collection of acks.
    if (conn.acks) return fn();
    conn.acks = [];
    try {
      fn();
    } finally {
      this.flushAcks(conn);
      conn.acks = undefined;
    }
  }
}

/** Refusals that count towards `maxProtocolErrors`: broken input, as opposed to limits an honest client can hit. */
const PROTOCOL_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.BadFrame,
  ErrorCode.BadMessage,
  ErrorCode.ReservedId,
  ErrorCode.DuplicateReplyId,
  ErrorCode.TooLarge,
]);

/** The `rid` or `mid` of a message as received, when it is a valid id (a refusal quotes it). */
function idOf(raw: unknown, field: 'rid' | 'mid'): number | undefined {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const id = (raw as Record<string, unknown>)[field];
    if (isReplyId(id)) return id;
  }
  return undefined;
}
