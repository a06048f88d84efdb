import { ServerResponse, STATUS_CODES, type IncomingMessage, type Server } from 'http';
import { timer, type Subscription } from 'rxjs';
import type { Socket } from 'net';
import type { Duplex } from 'stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AjaxParam, TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/ajax';
import { CloseCode, ErrorCode } from '../protocol/codes';
import type { ChskRequest } from '../protocol/events';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { admitRequest, checkOriginAndCsrf, connectionLimit, HOOK_REFUSAL, hookFailed, WS_SUBPROTOCOL, type Report } from './admitRequest';
import type { AjaxContext } from './ajax/AjaxContext';
import type { Frame } from '../packers/Packer';
import type { ConnectionHandle, ServerConnection } from './ServerConnection';
import type { ServerCore } from './ServerCore';
import type { UpgradeMiddleware } from './serverOptions';
import { reportRefusal } from './reportRefusal';
import { writeWsFrame } from './writeWsFrame';

/** Client ids: 1–128 characters of `[A-Za-z0-9_-]`. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Marks a failure of the app's `upgradeMiddleware` apart from our own, for the report. */
class MiddlewareError {
  constructor(readonly error: unknown) {}
}

function runMiddleware(req: ChskRequest, mws: readonly UpgradeMiddleware[]): Promise<void> {
  if (mws.length === 0) return Promise.resolve();
  const res = new ServerResponse(req);
  return mws
    .reduce<Promise<void>>(
      (p, mw) => p.then(() => new Promise<void>((resolve, reject) => mw(req, res, (err?: unknown) => (err ? reject(err) : resolve())))),
      Promise.resolve(),
    )
    .catch((error: unknown) => {
      throw new MiddlewareError(error);
    });
}

/** Reports an upgrade that failed (the app's middleware: `CHSK_HOOK_FAILED`; ours: `CHSK_REJECTED`) and refuses it with 500. */
function upgradeFailed(socket: Duplex, report: Report, error: unknown): void {
  if (error instanceof MiddlewareError) {
    const r = hookFailed(report, 'upgradeMiddleware', 'threw or failed', error.error);
    return reject(socket, r.status, r.code, r.body);
  }
  report({ code: ErrorCode.Rejected, message: 'upgrade failed', error });
  reject(socket, HOOK_REFUSAL.status, ErrorCode.Rejected, 'server error during upgrade');
}

function reject(socket: Duplex, status: number, code: string, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify({ code, message: body });
  // Destroy once the answer is flushed: a client that never closes its side must not hold the socket.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `Connection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/** The Ajax connection token a probe WebSocket presents: its `tk.<token>` subprotocol entry. */
export function presentedUpgradeToken(req: IncomingMessage): string | undefined {
  const raw = req.headers['sec-websocket-protocol'];
  const protocols = Array.isArray(raw) ? raw[0] : raw;
  if (!protocols) return undefined;
  for (const p of protocols.split(',')) {
    const t = p.trim();
    if (t.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return t.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}

/**
 * Frames a corked link holds before it lets them go and corks again. Holding a whole tick's replies made a
 * client with 64 requests in flight and this server take turns (each waiting for the other's whole batch);
 * letting every 16th frame out overlaps their work: 0.79-0.90x to 1.1-1.4x raw ws req/s at concurrency 64
 * (benchmarks/, reqrep-c64), while a loop of pushes still leaves in writevs of 16 frames.
 */
const CORK_LIMIT = 16;

/**
 * The core's view of one WebSocket. A class rather than an object literal: V8 keeps a literal with a getter
 * in dictionary mode (a ~450 B property table per connection, plus a closure per method).
 *
 * Writes are corked until the end of the current tick, so a burst of pushes (a loop of `send`, the replies to
 * a batch of requests) leaves in one `writev` instead of one syscall per frame; each message stays its own
 * WebSocket frame. The tick boundary is `process.nextTick`, not a scheduler timer: it is the socket's own I/O,
 * the one exception to "time is a scheduler" (DESIGN.md), and it adds no delay beyond the current tick.
 * An `immediate` frame (a batch flush: one frame per connection) skips the cork when none is open, so a
 * broadcast to thousands starts reaching the first clients while the loop is still writing to the last.
 */
class WebSocketLink implements ServerConnection {
  readonly transport = 'ws' as const;
  private corked = false;
  private frames = 0;
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}
  send(frame: Frame, immediate?: boolean): void {
    if (this.ws.readyState !== 1 || !this.socket.writable) return;
    if (!this.corked && !immediate) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    writeWsFrame(this.socket, frame);
    if (this.corked && ++this.frames >= CORK_LIMIT) {
      this.frames = 0;
      this.socket.uncork();
      this.socket.cork();
    }
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
  get bufferedAmount(): number {
    // Our frames go straight to the socket (writeWsFrame), so its queue is the whole backlog.
    return this.socket.writableLength;
  }
  get bytesReceived(): number {
    // Read by the keep-alive sweep: control frames and fragments never reach 'message', but they are bytes.
    return (this.socket as Partial<Socket>).bytesRead ?? 0;
  }
  /** @internal */
  flush(): void {
    this.corked = false;
    this.frames = 0;
    this.socket.uncork();
  }
}

function uncork(link: WebSocketLink): void {
  link.flush();
}

/** What a wired WebSocket carries for the shared listeners below (one property, not three closures). */
const kWired = Symbol('sente-rx.wired');
interface Wired {
  readonly handle: ConnectionHandle;
  readonly sockets: Set<WebSocket>;
  readonly core: ServerCore;
}
type WiredSocket = WebSocket & { [kWired]: Wired };

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  (this as WiredSocket)[kWired].handle.receive(isBinary ? buf : buf.toString('utf8'));
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const w = (this as WiredSocket)[kWired];
  w.sockets.delete(this);
  w.handle.closed(code, reason.toString());
}

function onError(this: WebSocket, error: Error): void {
  const { core } = (this as WiredSocket)[kWired];
  // ws closes with 1009 when a message passes `maxPayload` (our maxFrameBytes): that is a size refusal, the
  // same CHSK_TOO_LARGE an Ajax body or the core's own check reports, not a frame that failed to unpack.
  if ((error as Error & { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    core.report({ code: ErrorCode.TooLarge, message: `message over maxFrameBytes (${core.options.maxFrameBytes}): ${error.message}`, error });
    return;
  }
  core.report({ code: ErrorCode.BadFrame, message: error.message, error });
}

/** Connects a WebSocket to the core's handle with listeners shared by every connection. */
function wire(ws: WebSocket, handle: ConnectionHandle, sockets: Set<WebSocket>, core: ServerCore): void {
  const w = ws as WiredSocket;
  w[kWired] = { handle, sockets, core };
  w.on('message', onMessage);
  w.on('close', onClose);
  w.on('error', onError);
}

/**
 * Binds the core to WebSocket upgrades on `httpServer` at the core's path (ws with `noServer`). Upgrades to
 * other paths are left to their owners. With `ajax`, an upgrade probe (`upgrade=1` and a `tk.<token>`
 * subprotocol entry) takes over that Ajax connection instead of opening a new one. Returns a function that
 * detaches and closes the ws server.
 */
export function attachWebSocket(core: ServerCore, httpServer: Server, ajax?: AjaxContext): { detach(): void; sockets: Set<WebSocket> } {
  const o = core.options;
  const report: Report = (r) => core.report(r);
  const sockets = new Set<WebSocket>();
  /** `handshakeTimeoutMs` timers of the upgrades still being admitted. */
  const admitting = new Set<Subscription>();
  /**
   * Middleware and hooks get `handshakeTimeoutMs`; whichever finishes first, the timer or them, decides. The
   * returned function claims the decision: true once (for the first to call it), and it stops the timer.
   */
  const deadlineFor = (socket: Duplex, what: string): (() => boolean) => {
    let decided = false;
    let deadline: Subscription | undefined;
    const decide = (): boolean => {
      if (decided) return false;
      decided = true;
      if (deadline) deadline.unsubscribe(), admitting.delete(deadline);
      return true;
    };
    deadline = timer(o.handshakeTimeoutMs, o.scheduler).subscribe(() => {
      if (!decide()) return;
      core.report({ code: ErrorCode.HandshakeTimeout, message: `${what} not admitted within handshakeTimeoutMs (${o.handshakeTimeoutMs} ms)` });
      reject(socket, 503, ErrorCode.HandshakeTimeout, 'the handshake timed out');
    });
    if (!decided) admitting.add(deadline);
    return decide;
  };
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: o.maxFrameBytes,
    // Select our subprotocol and never echo the CSRF entry back.
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    // Attach an error listener at once: garbage after the upgrade must not become an uncaught error.
    const onSocketError = (): void => void socket.destroy();
    if (pathname !== o.path) {
      // When nobody else serves upgrades on this server, answer rather than leave the socket open for ever
      // (Node applies no timeout to a socket handed to 'upgrade' listeners).
      if (httpServer.listenerCount('upgrade') === 1) {
        socket.on('error', onSocketError);
        reject(socket, 404, ErrorCode.BadMessage, 'no WebSocket endpoint at this path');
      }
      return;
    }
    socket.on('error', onSocketError);
    if (core.isClosing) return reject(socket, 503, ErrorCode.Closed, 'server closing');
    if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return reject(socket, 400, ErrorCode.BadMessage, 'only WebSocket upgrades are served here');
    }
    const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const chskReq = req as ChskRequest;
    const upgradeToken = presentedUpgradeToken(req);
    if (params.get(AjaxParam.Upgrade) === '1' || upgradeToken !== undefined) {
      return upgradeAjax(req, socket, head, params, upgradeToken, onSocketError);
    }
    const decide = deadlineFor(socket, 'handshake');
    runMiddleware(chskReq, o.upgradeMiddleware)
      .then(() => {
        ajax?.sessions.upgrade(chskReq);
        return admitRequest(chskReq, o, report);
      })
      .then(async (admission) => {
        if (!admission.ok) {
          if (!decide()) return;
          reportRefusal(report, admission, 'WebSocket upgrade', params.get('cid') ?? undefined);
          return reject(socket, admission.status, admission.code, admission.body);
        }
        if (!decide()) return;
        if (core.isClosing || socket.destroyed) return socket.destroy();
        // Counted right before the (synchronous) upgrade, so two concurrent handshakes cannot both slip in.
        let tooMany = connectionLimit(core.adapter, admission.uid, o.maxConnectionsPerUid);
        if (tooMany instanceof Promise) {
          tooMany = await tooMany; // a cluster count: the round trip is the only wait
          if (core.isClosing || socket.destroyed) return socket.destroy();
        }
        if (tooMany) return reject(socket, tooMany.status, tooMany.code, tooMany.body);
        wss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('error', onSocketError);
          accept(ws, socket, chskReq, params, admission.uid, admission.handshakeData);
        });
      })
      .catch((error: unknown) => {
        if (decide()) upgradeFailed(socket, report, error);
      });
  };

  const accept = (ws: WebSocket, socket: Duplex, req: ChskRequest, params: URLSearchParams, uid: string | null, handshakeData: unknown): void => {
    ws.binaryType = 'nodebuffer';
    const version = Number(params.get('v') ?? PROTOCOL_VERSION);
    const clientId = params.get('cid') ?? '';
    const refusal =
      version !== PROTOCOL_VERSION
        ? `${ErrorCode.ProtocolVersion}: server speaks version ${PROTOCOL_VERSION}`
        : !CLIENT_ID_PATTERN.test(clientId)
          ? `${ErrorCode.BadClientId}: cid must be 1-128 characters of [A-Za-z0-9_-]`
          : undefined;
    if (refusal !== undefined) {
      ws.on('error', (error) => core.report({ code: ErrorCode.BadFrame, message: error.message, error }));
      return ws.close(CloseCode.BadHandshake, refusal);
    }
    sockets.add(ws);
    const handle = core.open(new WebSocketLink(ws, socket), { uid, clientId, req, handshakeData, resume: params.get(AjaxParam.Resume) });
    wire(ws, handle, sockets, core);
  };

  /**
   * A probe WebSocket of an Ajax client: origin, CSRF and the connection token are checked as for a poll
   * (the upgrade middleware gets `handshakeTimeoutMs`, as on any upgrade), then the Ajax connection moves onto
   * this socket (no new handshake; see PROTOCOL.md, "Upgrade back to WebSocket").
   */
  const upgradeAjax = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    params: URLSearchParams,
    token: string | undefined,
    onSocketError: () => void,
  ): void => {
    const chskReq = req as ChskRequest;
    const decide = deadlineFor(socket, 'Ajax upgrade probe');
    const probe = (): void => {
        if (!ajax) return reject(socket, 400, ErrorCode.BadMessage, 'this server has no Ajax transport to upgrade');
        const refused = checkOriginAndCsrf(chskReq, o, report);
        if (refused) {
          reportRefusal(report, refused, 'Ajax upgrade probe', params.get(AjaxParam.ClientId) ?? undefined);
          return reject(socket, refused.status, refused.code, refused.body);
        }
        const clientId = params.get(AjaxParam.ClientId) ?? '';
        if (!CLIENT_ID_PATTERN.test(clientId)) return reject(socket, 400, ErrorCode.BadClientId, 'cid must be 1-128 characters of [A-Za-z0-9_-]');
        const found = ajax.registry.find(token, clientId);
        if (!found.ok) return reject(socket, found.status, found.code, found.message);
        if (!found.conn.upgradable) return reject(socket, 409, ErrorCode.BadToken, 'this Ajax connection was already upgraded or is closing');
        if (core.isClosing || socket.destroyed) return void socket.destroy();
        wss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('error', onSocketError);
          ws.binaryType = 'nodebuffer';
          // Checked again: a second probe may have won the race while this one was upgrading.
          if (!found.conn.upgrade(new WebSocketLink(ws, socket))) {
            ws.on('error', (error) => core.report({ code: ErrorCode.BadFrame, message: error.message, error }));
            return ws.close(CloseCode.PolicyViolation, `${ErrorCode.BadToken}: the Ajax connection was already upgraded or closed`);
          }
          sockets.add(ws);
          wire(ws, found.conn.handle!, sockets, core);
        });
    };
    runMiddleware(chskReq, o.upgradeMiddleware)
      .then(
        () => void (decide() && probe()),
        (error: unknown) => void (decide() && upgradeFailed(socket, report, error)),
      )
      // The checks after the middleware run once it was decided that they answer: their failure is answered here.
      .catch((error: unknown) => upgradeFailed(socket, report, error));
  };

  httpServer.on('upgrade', onUpgrade);
  return {
    sockets,
    detach: () => {
      httpServer.off('upgrade', onUpgrade);
      for (const t of admitting) t.unsubscribe();
      admitting.clear();
      wss.close();
    },
  };
}
