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
  /** Reserved for per-user sequence numbers (server→client resume). Ignored by v1 peers. */
  readonly seq?: number;
}

/** C→S: an event that expects exactly one reply or error carrying the same `rid`. */
export interface RequestMessage {
  readonly t: 'q';
  readonly ev: WireEvent;
  /** Reply id chosen by the client: a safe integer ≥ 1, unique among the connection's pending requests. */
  readonly rid: number;
  /** The message id, as on an event; the request's `r` or `x` is its acknowledgement. */
  readonly mid?: number;
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

/** A message a client may put inside a batch. */
export type ClientBatchable = EventMessage | RequestMessage;
/** Every message a client may send. */
export type ClientMessage = ClientBatchable | PingMessage | PongMessage | BatchMessage<ClientBatchable>;
/** A message a server may put inside a batch. */
export type ServerBatchable = EventMessage | ReplyMessage | ErrorMessage | AckMessage;
/** Every message a server may send. */
export type ServerMessage =
  | HandshakeMessage
  | ServerBatchable
  | PingMessage
  | PongMessage
  | BatchMessage<ServerBatchable>;
