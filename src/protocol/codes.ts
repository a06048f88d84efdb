/**
 * Stable error codes. Every error the library raises or sends on the wire carries one of these.
 * They are part of the public contract: README.md and PROTOCOL.md list each one.
 */
export const ErrorCode = {
  /** A request got no reply before its deadline (client side). */
  Timeout: 'CHSK_TIMEOUT',
  /**
   * The send was certainly never written (it waited in the offline buffer when the client closed), or the socket
   * is closed for good. A send that was written and may have reached the server gets `CHSK_UNCERTAIN` instead.
   */
  Closed: 'CHSK_CLOSED',
  /**
   * A send was written but not answered when the client gave up on it (the app disconnected, reconnecting gave
   * up, the server does not dedupe so it cannot be sent again, or `maxUnacked` later sends pushed it out): it
   * may or may not have been handled.
   */
  Uncertain: 'CHSK_UNCERTAIN',
  /** A frame or body could not be unpacked (bad JSON, bad msgpack, forbidden key, too deep). */
  BadFrame: 'CHSK_BAD_FRAME',
  /** A frame unpacked but is not a valid message for this direction. */
  BadMessage: 'CHSK_BAD_MESSAGE',
  /** A client sent an event whose id is in the reserved `chsk/` namespace. */
  ReservedId: 'CHSK_RESERVED_ID',
  /** A client reused a reply id that is still waiting for its reply. */
  DuplicateReplyId: 'CHSK_DUPLICATE_REPLY_ID',
  /** A frame or body is larger than the configured limit. */
  TooLarge: 'CHSK_TOO_LARGE',
  /** The server did not answer a request within `requestTimeoutMs` (nobody called `reply`). */
  NoReply: 'CHSK_NO_REPLY',
  /** A handler failed while answering a request. */
  HandlerError: 'CHSK_HANDLER_ERROR',
  /** The client's offline send buffer is full. */
  BufferFull: 'CHSK_BUFFER_FULL',
  /** No WebSocket constructor is available (Node: pass the `WebSocket` option). */
  NoWebSocket: 'CHSK_NO_WEBSOCKET',
  /** A framework hook ran outside its provider (`useChannelSocket` without a `ChannelSocketProvider` above it). */
  NoProvider: 'CHSK_NO_PROVIDER',
  /** An option has an invalid value. */
  BadOption: 'CHSK_BAD_OPTION',
  /** The peer stayed silent past the keep-alive timeout. */
  KeepAliveTimeout: 'CHSK_KEEPALIVE_TIMEOUT',
  /** The client asked for a protocol version the server does not speak. */
  ProtocolVersion: 'CHSK_PROTOCOL_VERSION',
  /** The client id is missing or malformed. */
  BadClientId: 'CHSK_BAD_CLIENT_ID',
  /** A connection has too many requests waiting for replies. */
  TooManyPending: 'CHSK_TOO_MANY_PENDING',
  /** The handshake was refused (origin, CSRF, authorization or the userId function failed). */
  Rejected: 'CHSK_REJECTED',
  /**
   * Ajax: the connection token (`x-chsk-token`, or the `tk.` subprotocol entry of an upgrade) is missing (401),
   * belongs to another client or does not match (403), is unknown or expired (410), or its connection was
   * already upgraded to WebSocket (409).
   */
  BadToken: 'CHSK_BAD_TOKEN',
  /**
   * A client read too slowly: its socket held more than `maxBufferedBytes` unsent bytes. Reported on `errors$`;
   * with `slowConsumer: 'close'` the connection is closed (1013), with `'drop'` frames are dropped meanwhile.
   */
  SlowConsumer: 'CHSK_SLOW_CONSUMER',
  /** Ajax: the connection's outgoing queue overflowed (`maxAjaxQueue`) because the client stopped polling. */
  QueueFull: 'CHSK_QUEUE_FULL',
  /** Ajax: a POST body's `content-type` does not match the packer (text/plain for text, application/octet-stream for binary). */
  BadContentType: 'CHSK_BAD_CONTENT_TYPE',
  /** A connection sent faster than its `rateLimit`: the message was refused (error reply, with `rid` for requests). */
  RateLimited: 'CHSK_RATE_LIMITED',
  /** The user already has `maxConnectionsPerUid` open connections: the handshake is refused with HTTP 429. */
  TooManyConnections: 'CHSK_TOO_MANY_CONNECTIONS',
  /** Upgrade middleware and admission hooks did not finish within `handshakeTimeoutMs`: HTTP 503. */
  HandshakeTimeout: 'CHSK_HANDSHAKE_TIMEOUT',
  /** Ajax: a POST body was not complete within `postTimeoutMs` (HTTP 408; the TCP connection is closed). */
  BodyTimeout: 'CHSK_BODY_TIMEOUT',
  /**
   * Server warning (once, on `errors$`): WebSocket upgrades arrive without `req.session` while Ajax requests
   * have one, i.e. the session middleware does not run on upgrades (pass it in `upgradeMiddleware`).
   */
  UpgradeWithoutSession: 'CHSK_UPGRADE_WITHOUT_SESSION',
  /** A connection broke the protocol `maxProtocolErrors` times and was closed (reason of close code 1008). */
  TooManyErrors: 'CHSK_TOO_MANY_ERRORS',
  /**
   * The cluster adapter failed to reach its store (Redis down, a command refused): reported on the server's
   * `errors$` and counted in `stats$`; local delivery goes on, pushes for other nodes are counted as dropped. An
   * Ajax request that had to be relayed to its connection's node and could not be is answered 503 with it.
   */
  AdapterError: 'CHSK_ADAPTER_ERROR',
  /**
   * An event's data failed its schema (the `schemas` option): the server refuses it before any handler sees it
   * (error reply with the validator's issues); the client fails a `send` whose reply fails, and reports a push
   * that fails on `errors$`.
   */
  BadData: 'CHSK_BAD_DATA',
  /**
   * An app hook (`upgradeMiddleware`, `csrfToken`, `authorize`, `userId`, `handshakeData`) threw, rejected or
   * returned something it may not while a request was being admitted: reported on the server's `errors$` with
   * the hook's name and its error; the client is refused with HTTP 500 `CHSK_REJECTED`.
   */
  HookFailed: 'CHSK_HOOK_FAILED',
  /** A `strict` server got an event id that has no entry in `schemas`. */
  UnknownEvent: 'CHSK_UNKNOWN_EVENT',
  /**
   * A streamed reply's source (an Observable, which cannot be paused) ran more than the stream's window ahead of
   * the credit the client granted: the server unsubscribed it and ended the stream with this error.
   */
  StreamOverflow: 'CHSK_STREAM_OVERFLOW',
  /**
   * The link dropped while a streamed reply was in flight. The server stopped the stream when the connection
   * closed; retrying (subscribing again) starts it anew from its beginning, which is safe for a read.
   */
  StreamCut: 'CHSK_STREAM_CUT',
  /** A handler answered with `replyStream` a request sent with `send` (use `stream$`), or `reply.stream` got no stream source. */
  NotAStream: 'CHSK_NOT_A_STREAM',
  /** `authorizeTopic` refused a join (or threw, or no `authorizeTopic` is set: every topic is refused by default). */
  TopicRefused: 'CHSK_TOPIC_REFUSED',
  /** The server removed the connection (or its uid) from a topic (`removeFromTopic`), e.g. after a permission change. */
  TopicRemoved: 'CHSK_TOPIC_REMOVED',
  /** A topic name longer than `maxTopicLength` or outside its charset (`[A-Za-z0-9_.:@/-]`). */
  BadTopic: 'CHSK_BAD_TOPIC',
  /** The connection already holds `maxTopicsPerConnection` joins. */
  TooManyTopics: 'CHSK_TOO_MANY_TOPICS',
} as const;

/** One of the stable error codes in {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes used by sente-rx (1xxx from RFC 6455, 4xxx application codes). */
export const CloseCode = {
  /** Normal closure: `disconnect()` on the client, or the server closing one connection on purpose. */
  Normal: 1000,
  /** The server is shutting down (`close()`). Clients reconnect with backoff. */
  GoingAway: 1001,
  /** Bad WebSocket framing (RSV bits, unmasked client frame, bad opcode or control frame); sent by `ws`. */
  ProtocolError: 1002,
  /** A text frame or close reason that is not valid UTF-8; sent by `ws`. */
  InvalidPayload: 1007,
  /**
   * Policy violation: the connection broke the protocol `maxProtocolErrors` times (reason starts with
   * `CHSK_TOO_MANY_ERRORS`), or `ws` refused a message split into too many fragments.
   */
  PolicyViolation: 1008,
  /** A frame (or the fragments of one message) exceeded `maxFrameBytes`; sent by `ws`. */
  TooLarge: 1009,
  /** The server failed unexpectedly while setting up the connection. */
  InternalError: 1011,
  /** The handshake request was malformed: unsupported protocol version or bad client id. */
  BadHandshake: 4400,
  /** The peer stayed silent past the keep-alive timeout (for Ajax: no poll within `ajaxGraceMs`). */
  KeepAliveTimeout: 4408,
  /** The client read too slowly (`maxBufferedBytes` with `slowConsumer: 'close'`): try again later. */
  TryAgainLater: 1013,
  /** Ajax: the outgoing queue overflowed (`maxAjaxQueue`); the connection was closed rather than drop frames. */
  QueueFull: 4507,
  /** The connection kept sending past its `rateLimit` (`rateLimit.closeAfter` refused messages). */
  RateLimited: 4429,
  /**
   * The server ended every connection of the user (`disconnect(uid, reason)`: logout, session expiry), on every
   * node; the reason is the app's. Reconnecting with the same session is pointless until the user signs in again.
   */
  LoggedOut: 4401,
} as const;

/** One of the close codes in {@link CloseCode}. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
