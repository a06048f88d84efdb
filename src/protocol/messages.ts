import type { DataIssue } from '../schemas/DataIssue';

/**
 * Wire messages of protocol version 1 (see PROTOCOL.md). Each frame (WebSocket) or body part (Ajax)
 * is one packed message object whose `t` field names its type.
 */

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;

/** Message type tags, the `t` field of every message. */
export const MessageType = {
  Handshake: 'hs',
  Event: 'e',
  Request: 'q',
  Reply: 'r',
  Error: 'x',
  Ping: 'pi',
  Pong: 'po',
  Batch: 'b',
  Ack: 'a',
  /** S→C: one value of a streamed reply. */
  StreamItem: 'si',
  /** S→C: a streamed reply ended (its source completed). */
  StreamEnd: 'se',
  /** C→S: the client no longer wants a streamed reply; the server unsubscribes its source. */
  StreamCancel: 'sc',
  /** C→S: the client grants a stream more items (flow control). */
  Credit: 'cr',
  /** C→S: join a topic. */
  TopicJoin: 'tj',
  /** C→S: leave a topic. */
  TopicLeave: 'tl',
  /** S→C: the join was accepted. */
  TopicJoined: 'ta',
  /** S→C: the join was refused, or the server removed the connection from the topic. */
  TopicClosed: 'tx',
  /** S→C: an event published to a topic. */
  TopicEvent: 'tm',
} as const;

/** An event on the wire: `[id]` when it carries no data, else `[id, data]`. */
export type WireEvent = readonly [string] | readonly [string, unknown];

/** S→C, first message on every connection: who the client is and what the server wants it to know. */
export interface HandshakeMessage {
  readonly t: 'hs';
  /** Protocol version the server speaks. */
  readonly v: number;
  /** The connection's user id, as computed by the server; `null` for users without a uid. */
  readonly uid: string | null;
  /** The client id the server registered. */
  readonly cid: string;
  /** Result of the server's `handshakeData(req)`, when it returned something. */
  readonly hd?: unknown;
  /** Ajax connection token (Ajax transport only). */
  readonly tk?: string;
  /**
   * The server's per-connection rate limit, when it has one: `r` messages per second sustained, `b` at once
   * after a pause (a token bucket). A client that paces its writes to it is never refused `CHSK_RATE_LIMITED`.
   */
  readonly rl?: RateLimitInfo;
  /**
   * The dedupe epoch when the server dedupes message ids (its `dedupe` option): a message sent again with the same
   * `mid` is not handled twice while the epoch (one per incarnation of the dedupe record: a process for the
   * memory adapter, the Redis data for the Redis adapter) stays the same, so the client resends what was
   * unanswered when its link dropped only when the new handshake carries the epoch it wrote under. `1`: an
   * older server that dedupes but names no epoch (the client resends only when `rs.b`'s epoch proves the same
   * server state). Absent: it does not dedupe.
   */
  readonly dd?: string | 1;
  /**
   * The positions the connection starts from in each of its streams, after any replay: `[offset, epoch]` for
   * the uid's stream (`u`) and the broadcasts (`b`). Present when the server keeps replay logs (`resume`).
   */
  readonly rs?: ResumePositions;
  /**
   * Only when the client presented positions (`rs` query parameter): whether everything it missed is replayed
   * (`ok`; false when a stream's epoch changed or its entries were trimmed, and then nothing of that stream is
   * replayed) and how many entries follow the handshake (`n`).
   */
  readonly rc?: { readonly ok: boolean; readonly n: number };
}

/** A position in a stream on the wire: `[offset, epoch]`. */
export type WirePosition = readonly [number, string];

/** Positions per stream, as in `hs.rs` and the `rs` query parameter. */
export interface ResumePositions {
  readonly u?: WirePosition;
  readonly b?: WirePosition;
}

/** The rate limit a server states in its handshake (`hs.rl`). */
export interface RateLimitInfo {
  /** Messages per second a connection may sustain (> 0). */
  readonly r: number;
  /** Messages a connection may send at once after a pause: the bucket's capacity (≥ 1). */
  readonly b: number;
}

/** Either direction: an event that expects no reply. */
export interface EventMessage {
  readonly t: 'e';
  readonly ev: WireEvent;
  /**
   * C→S: the message id, a safe integer ≥ 1 increasing per client instance and never reused by it. The server
   * acknowledges an accepted event with `{ t: 'a', mid }` and quotes it in a refusal. Absent: no acknowledgement.
   */
  readonly mid?: number;
  /**
   * S→C: the push's offset in its stream (the uid's, or `b` with `st: 'b'`), from a server whose adapter
   * keeps replay logs; the client keeps the last one per stream and presents it when it reconnects.
   */
  readonly seq?: number;
  /** S→C with `seq`: the stream, `'b'` for a broadcast; absent for the uid's own stream. */
  readonly st?: 'b';
}

/** C→S: an event that expects exactly one reply or error carrying the same `rid`. */
export interface RequestMessage {
  readonly t: 'q';
  readonly ev: WireEvent;
  /** Reply id chosen by the client: a safe integer ≥ 1, unique among the connection's pending requests. */
  readonly rid: number;
  /** The message id, as on an event; the request's `r` or `x` is its acknowledgement. */
  readonly mid?: number;
  /**
   * Present on a streamed request (`stream$`): the window, how many items the server may send before the client
   * grants more with `cr` (a safe integer ≥ 1; the server caps it at its `maxStreamWindow`).
   */
  readonly w?: number;
}

/** S→C: one value of the streamed reply to request `rid`. */
export interface StreamItemMessage {
  readonly t: 'si';
  readonly rid: number;
  readonly d?: unknown;
}

/** S→C: the streamed reply to request `rid` completed; nothing follows. (It fails with `x` and the same `rid`.) */
export interface StreamEndMessage {
  readonly t: 'se';
  readonly rid: number;
}

/** C→S: cancel the streamed reply to request `rid`. No answer follows; items already in flight are ignored. */
export interface StreamCancelMessage {
  readonly t: 'sc';
  readonly rid: number;
}

/** C→S: the client consumed `n` more items of stream `rid`: the server may send `n` more. */
export interface CreditMessage {
  readonly t: 'cr';
  readonly rid: number;
  /** A safe integer ≥ 1. The server never lets a stream's unused credit exceed its window. */
  readonly n: number;
}

/** S→C: the answer to a request. */
export interface ReplyMessage {
  readonly t: 'r';
  readonly rid: number;
  readonly d?: unknown;
}

/** S→C: an error answer to a request (`rid` set) or a notice about a frame the server refused. */
export interface ErrorMessage {
  readonly t: 'x';
  readonly code: string;
  readonly msg: string;
  readonly rid?: number;
  /** The `mid` of the refused event or request, when it carried a valid one. */
  readonly mid?: number;
  /** `CHSK_BAD_DATA`: what the validator found, bounded (at most 10 issues, short messages and paths). */
  readonly issues?: readonly DataIssue[];
}

/** S→C: the server accepted the event `mid` (it passed every check and was handed to `events$`). */
export interface AckMessage {
  readonly t: 'a';
  readonly mid: number;
}

/** Either direction: keep-alive probe; the peer answers with a pong. */
export interface PingMessage {
  readonly t: 'pi';
}

/** Either direction: answer to a ping. */
export interface PongMessage {
  readonly t: 'po';
}

/** Either direction: several messages in one frame, processed in order. Batches do not nest. */
export interface BatchMessage<T> {
  readonly t: 'b';
  readonly ms: readonly T[];
}

/**
 * C→S: join topic `tp` under the client's subscription id `tid` (a safe integer ≥ 1, unique among the
 * connection's joins). The server asks its `authorizeTopic(req, uid, tp, p)` and answers `ta` or `tx`.
 */
export interface TopicJoinMessage {
  readonly t: 'tj';
  readonly tid: number;
  /** The topic name. */
  readonly tp: string;
  /** The app's parameters of the join, handed to `authorizeTopic`. */
  readonly p?: unknown;
  /**
   * Resume: the client's position in the topic's stream, `[offset, epoch]` (the last `seq` it took, and the
   * epoch from the `ta` that started it). The server replays what came after (see `ta.rc`).
   */
  readonly o?: WirePosition;
}

/** C→S: leave the topic joined under `tid`. No answer. */
export interface TopicLeaveMessage {
  readonly t: 'tl';
  readonly tid: number;
}

/** S→C: the join `tid` was accepted; the topic's events follow as `tm`. */
export interface TopicJoinedMessage {
  readonly t: 'ta';
  readonly tid: number;
  /**
   * The position the join starts from in the topic's stream, `[offset, epoch]`, after any replay: present when
   * the server keeps topic logs. Later `tm` carry `seq` above it.
   */
  readonly rs?: WirePosition;
  /**
   * Only when the join presented `o`: whether every event after it is replayed (`ok`; false when the epoch
   * changed or the entries were trimmed, and then none is) and how many replayed `tm` follow this `ta` (`n`).
   */
  readonly rc?: { readonly ok: boolean; readonly n: number };
}

/**
 * S→C: the join `tid` is over on the server's side: refused (`CHSK_TOPIC_REFUSED`, `CHSK_BAD_TOPIC`,
 * `CHSK_TOO_MANY_TOPICS`, `CHSK_RATE_LIMITED`) or removed (`CHSK_TOPIC_REMOVED`). Nothing more follows for it.
 */
export interface TopicClosedMessage {
  readonly t: 'tx';
  readonly tid: number;
  readonly code: string;
  readonly msg: string;
}

/** S→C: event `ev` published to topic `tp`; one message per connection, whatever its joins of `tp`. */
export interface TopicEventMessage {
  readonly t: 'tm';
  readonly tp: string;
  readonly ev: WireEvent;
  /** The event's offset in the topic's stream (`t:<topic>`), from a server that keeps topic logs. */
  readonly seq?: number;
}

/** What a client sends that carries an event: an event or a request (what handlers and schemas see). */
export type ClientSendMessage = EventMessage | RequestMessage;
/** A message a client may put inside a batch. */
export type ClientBatchable = EventMessage | RequestMessage | StreamCancelMessage | CreditMessage | TopicJoinMessage | TopicLeaveMessage;
/** Every message a client may send. */
export type ClientMessage = ClientBatchable | PingMessage | PongMessage | BatchMessage<ClientBatchable>;
/** A message a server may put inside a batch. */
export type ServerBatchable =
  | EventMessage
  | ReplyMessage
  | ErrorMessage
  | AckMessage
  | StreamItemMessage
  | StreamEndMessage
  | TopicJoinedMessage
  | TopicClosedMessage
  | TopicEventMessage;
/** Every message a server may send. */
export type ServerMessage =
  | HandshakeMessage
  | ServerBatchable
  | PingMessage
  | PongMessage
  | BatchMessage<ServerBatchable>;
