import { ServerResponse, type IncomingMessage, type Server } from 'http';
import type { Duplex } from 'stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CloseCode, ErrorCode } from '../protocol/codes';
import type { ChskRequest } from '../protocol/events';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { admitRequest, WS_SUBPROTOCOL } from './admitRequest';
import type { Frame } from '../packers/Packer';
import type { ServerConnection } from './ServerConnection';
import type { ServerCore } from './ServerCore';
import type { UpgradeMiddleware } from './serverOptions';

/** Client ids: 1–128 characters of `[A-Za-z0-9_-]`. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

function runMiddleware(req: ChskRequest, mws: readonly UpgradeMiddleware[]): Promise<void> {
  if (mws.length === 0) return Promise.resolve();
  const res = new ServerResponse(req);
  return mws.reduce<Promise<void>>(
    (p, mw) => p.then(() => new Promise<void>((resolve, reject) => mw(req, res, (err?: unknown) => (err ? reject(err) : resolve())))),
    Promise.resolve(),
  );
}

function reject(socket: Duplex, status: number, code: string, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify({ code, message: body });
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Error'}\r\n` +
      `Connection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * The core's view of one WebSocket. A class rather than an object literal: V8 keeps a literal with a getter
 * in dictionary mode (a ~450 B property table per connection, plus a closure per method).
 *
 * Writes are corked until the end of the current tick, so a burst of pushes (a loop of `send`, the replies to
 * a batch of requests) leaves in one `writev` instead of one syscall per frame; each message stays its own
 * WebSocket frame. The tick boundary is `process.nextTick`, not a scheduler timer: it is the socket's own I/O,
 * the one exception to "time is a scheduler" (DESIGN.md), and it adds no delay beyond the current tick.
 */
class WebSocketLink implements ServerConnection {
  readonly transport = 'ws' as const;
  private corked = false;
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}
  send(frame: Frame): void {
    if (this.ws.readyState !== 1) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    this.ws.send(frame);
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
  /** @internal */
  flush(): void {
    this.corked = false;
    this.socket.uncork();
  }
}

function uncork(link: WebSocketLink): void {
  link.flush();
}

/**
 * Binds the core to WebSocket upgrades on `httpServer` at the core's path (ws with `noServer`). Upgrades to
 * other paths are left to their owners. Returns a function that detaches and closes the ws server.
 */
export function attachWebSocket(core: ServerCore, httpServer: Server): { detach(): void; sockets: Set<WebSocket> } {
  const o = core.options;
  const sockets = new Set<WebSocket>();
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
    if (pathname !== o.path) return;
    // Attach an error listener at once: garbage after the upgrade must not become an uncaught error.
    const onSocketError = (): void => void socket.destroy();
    socket.on('error', onSocketError);
    if (core.isClosing) return reject(socket, 503, ErrorCode.Closed, 'server closing');
    if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return reject(socket, 400, ErrorCode.BadMessage, 'only WebSocket upgrades are served here');
    }
    const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const chskReq = req as ChskRequest;
    runMiddleware(chskReq, o.upgradeMiddleware)
      .then(() => admitRequest(chskReq, o))
      .then(async (admission) => {
        if (!admission.ok) return reject(socket, admission.status, admission.code, admission.body);
        if (core.isClosing || socket.destroyed) return socket.destroy();
        const handshakeData = o.handshakeData ? await o.handshakeData(chskReq) : undefined;
        wss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('error', onSocketError);
          accept(ws, socket, chskReq, params, admission.uid, handshakeData);
        });
      })
      .catch((error: unknown) => {
        core.report({ code: ErrorCode.Rejected, message: 'upgrade failed', error });
        reject(socket, 500, ErrorCode.Rejected, 'server error during upgrade');
      });
  };

  const accept = (ws: WebSocket, socket: Duplex, req: ChskRequest, params: URLSearchParams, uid: string | null, handshakeData: unknown): void => {
    ws.binaryType = 'nodebuffer';
    ws.on('error', (error) => core.report({ code: ErrorCode.BadFrame, message: error.message, error }));
    const version = Number(params.get('v') ?? PROTOCOL_VERSION);
    if (version !== PROTOCOL_VERSION) {
      return ws.close(CloseCode.BadHandshake, `${ErrorCode.ProtocolVersion}: server speaks version ${PROTOCOL_VERSION}`);
    }
    const clientId = params.get('cid') ?? '';
    if (!CLIENT_ID_PATTERN.test(clientId)) {
      return ws.close(CloseCode.BadHandshake, `${ErrorCode.BadClientId}: cid must be 1-128 characters of [A-Za-z0-9_-]`);
    }
    sockets.add(ws);
    const handle = core.open(
      new WebSocketLink(ws, socket),
      { uid, clientId, req, handshakeData },
    );
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      handle.receive(isBinary ? buf : buf.toString('utf8'));
    });
    ws.on('close', (code, reason) => {
      sockets.delete(ws);
      handle.closed(code, reason.toString());
    });
  };

  httpServer.on('upgrade', onUpgrade);
  return {
    sockets,
    detach: () => {
      httpServer.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}
