import { randomBytes } from 'crypto';
import { connect, type Socket } from 'net';
import { firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import type { ChannelSocketClient, ClientOptions } from '../../src/client';
import { jsonPacker } from '../../src/packers/jsonPacker';
import type { Frame, Packer } from '../../src/packers/Packer';
import { ErrorCode } from '../../src/protocol/codes';
import type { ServerMessage } from '../../src/protocol/messages';
import type { ServerErrorReport, ServerOptions } from '../../src/server';
import { startServer, WAIT_MS, type TestServer } from '../support/harness';

/** Every stable code; reports and wire errors must carry one of these. */
export const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * The pollution gadget real apps carry: a naive recursive merge. If a packer ever hands the handler an own
 * `__proto__` key, or `constructor.prototype`, this writes into Object.prototype, and the tests see it.
 */
export function naiveMerge(target: Record<string, unknown>, source: unknown): unknown {
  if (typeof source !== 'object' || source === null) return source;
  for (const key in source as Record<string, unknown>) {
    const v = (source as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null) {
      target[key] = naiveMerge((target[key] ?? {}) as Record<string, unknown>, v);
    } else {
      target[key] = v;
    }
  }
  return target;
}

/** The own property names of the built-in prototypes, to compare before and after an attack. */
export function prototypeSnapshot(): string[] {
  // The prototypes and the constructors themselves: a naive deep merge of {"constructor": {...}} writes onto
  // the global Object (e.g. replacing Object.keys), which leaves the property names as they were, so each
  // property is recorded with its type and, for functions, its name.
  const holders: object[] = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype, Object, Array, Function, String, Number];
  return holders.map((p) =>
    Object.getOwnPropertyNames(p)
      .sort()
      .map((k) => {
        const v: unknown = Object.getOwnPropertyDescriptor(p, k)?.value;
        // A function's own properties too: a merge of {"hasOwnProperty":{"call":1}} writes onto the shared
        // Object.prototype.hasOwnProperty function and leaves every name above as it was.
        const fnProps = typeof v === 'function' ? Object.getOwnPropertyNames(v).sort().join('|') : '';
        return `${k}:${typeof v}:${typeof v === 'function' ? (v as { name: string }).name : ''}:${fnProps}`;
      })
      .join(','),
  );
}

export interface SecurityServer extends TestServer<never> {
  packer: Packer;
  port: number;
  host: string;
  /** Everything the server reported on errors$. */
  reports: ServerErrorReport[];
}

/**
 * A real server (Express + ws on port 0) whose handler merges every event's data naively (the gadget) and
 * answers: `test/echo` and any other request with its data, `test/whoami` with the uid the server assigned,
 * `test/never` never. The uid comes from the `uid` query parameter (the harness's stand-in for a session).
 */
export async function startSecurityServer(packer: Packer, options: ServerOptions = {}): Promise<SecurityServer> {
  const s = await startServer<never>({ packer, ...options });
  const reports: ServerErrorReport[] = [];
  s.chsk.errors$.subscribe((r) => reports.push(r));
  s.chsk.events$.subscribe((m) => {
    if (m.id.startsWith('chsk/')) return;
    naiveMerge({}, m.data);
    if (m.id === 'test/never') return;
    m.reply?.((m.id === 'test/whoami' ? m.uid : m.data) as never);
  });
  const u = new URL(s.url);
  return { ...s, packer, port: Number(u.port), host: u.host, reports };
}

/** A well-behaved client on the same server; `ask()` must keep getting answers during and after an attack. */
export async function bystander(
  s: SecurityServer,
  options: ClientOptions = {},
): Promise<{ client: ChannelSocketClient<never>; ask(tag: string): Promise<unknown> }> {
  const client = (await s.connected({ packer: s.packer, params: { uid: 'bystander' }, ...options })) as ChannelSocketClient<never>;
  return {
    client,
    ask: (tag) => firstValueFrom((client as unknown as ChannelSocketClient).send(['test/echo', tag], { timeoutMs: WAIT_MS })),
  };
}

/** Resolves once `cond()` holds, checking on each turn of the event loop; fails after WAIT_MS. A wait, not a sleep. */
export async function eventually(cond: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Unpacks a frame the server sent; `undefined` when it does not unpack. */
export function decode(packer: Packer, frame: Frame): ServerMessage | undefined {
  try {
    return packer.unpack(frame) as ServerMessage;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Raw WebSocket frames and raw TCP, for attacks below the ws client's API.

/** WebSocket opcodes. */
export const Op = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;

export interface FrameOptions {
  fin?: boolean;
  /** RSV1-3 bits, as the value of bits 4-6 of the first byte (0x40 = RSV1). */
  rsv?: number;
  /** Client frames must be masked; false sends an unmasked one. */
  mask?: boolean;
  /** Declared payload length, when it should differ from the payload's (a lying length prefix). */
  declaredLength?: bigint;
}

/** Builds one client-to-server WebSocket frame. */
export function wsFrame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), o: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const fin = o.fin ?? true;
  const mask = o.mask ?? true;
  const len = o.declaredLength ?? BigInt(data.length);
  const head: number[] = [(fin ? 0x80 : 0) | (o.rsv ?? 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126n) head.push(m | Number(len));
  else if (len < 65536n) head.push(m | 126, Number(len >> 8n) & 0xff, Number(len) & 0xff);
  else {
    head.push(m | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(i * 8)) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** A data frame carrying one packed message, as the packer's frame kind (text for JSON, binary for msgpack). */
export function messageFrame(packer: Packer, message: unknown, o: FrameOptions = {}): Buffer {
  const f = packer.pack(message);
  return wsFrame(typeof f === 'string' ? Op.Text : Op.Binary, f, o);
}

/** A close frame with a code and reason. */
export function closeFrame(code: number, reason: Uint8Array | string = ''): Buffer {
  const r = typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason);
  const p = Buffer.alloc(2 + r.length);
  p.writeUInt16BE(code, 0);
  r.copy(p, 2);
  return wsFrame(Op.Close, p);
}

/** Header lines of an upgrade request: [name, value] pairs, in order (duplicates allowed). */
export type HeaderList = [string, string][];

/** The headers a well-formed WebSocket upgrade to our endpoint carries. */
export function upgradeHeaders(host: string): HeaderList {
  return [
    ['Host', host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', randomBytes(16).toString('base64')],
    ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Protocol', 'sente-rx.v1'],
  ];
}

/** Serialises a request line and headers. */
export function httpRequest(method: string, target: string, headers: HeaderList): string {
  return `${method} ${target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** A frame the server sent, parsed. */
export interface ServerFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * A raw TCP client: writes bytes, parses the HTTP response head, then the server's WebSocket frames. It
 * answers a close frame by ending its side, as a client should, so the server can finish the close.
 */
export class RawClient {
  readonly socket: Socket;
  /** The HTTP status of the response (0 if the socket closed before one arrived). */
  readonly status: Promise<number>;
  /** Header names (lower case) → values of the response. */
  headers: Record<string, string> = {};
  /** The body of a non-101 response, complete once `ended` resolves. */
  body = '';
  /** Frames received after a 101. */
  readonly frames: ServerFrame[] = [];
  /** Resolves when the socket is fully closed. */
  readonly ended: Promise<void>;
  private buf = Buffer.alloc(0);
  private upgraded = false;
  private gotHead = false;
  private resolveStatus!: (s: number) => void;
  private readonly waiters = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    this.status = new Promise((r) => (this.resolveStatus = r));
    socket.on('data', (d) => this.onData(d));
    socket.on('error', () => undefined); // resets are part of the game
    this.ended = new Promise((r) =>
      socket.on('close', () => {
        this.resolveStatus(0);
        this.notify();
        r();
      }),
    );
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }

  /** Writes bytes; resolves once handed to the kernel. */
  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  /** Writes every byte in its own write() call (thousands of tiny TCP chunks). */
  async writeBytewise(data: string | Uint8Array): Promise<void> {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    for (let i = 0; i < b.length; i++) await this.write(b.subarray(i, i + 1));
  }

  /** The code in the server's close frame, once one arrived (1005 when it had no code). */
  get closeCode(): number | undefined {
    const c = this.frames.find((f) => f.opcode === Op.Close);
    if (!c) return undefined;
    return c.payload.length >= 2 ? c.payload.readUInt16BE(0) : 1005;
  }

  /** Data frames received, unpacked with `packer`. */
  messages(packer: Packer): ServerMessage[] {
    return this.frames
      .filter((f) => f.opcode === Op.Text || f.opcode === Op.Binary)
      .map((f) => decode(packer, f.opcode === Op.Text ? f.payload.toString('utf8') : new Uint8Array(f.payload)))
      .filter((m): m is ServerMessage => m !== undefined);
  }

  /** Resolves when `cond()` holds or the socket has closed (then the caller's assertions tell). */
  until(cond: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error('timed out waiting on the raw socket'));
      }, WAIT_MS);
      const check = (): void => {
        if (cond() || this.socket.destroyed) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.gotHead) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      this.buf = this.buf.subarray(end + 4);
      this.gotHead = true;
      const status = Number(head[0]!.split(' ')[1]);
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        this.headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      this.upgraded = status === 101;
      this.resolveStatus(status);
    }
    if (!this.upgraded) {
      this.body += this.buf.toString('utf8');
      this.buf = Buffer.alloc(0);
    } else {
      this.parseFrames();
    }
    this.notify();
  }

  private parseFrames(): void {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b.length < off + len) return;
      const frame = { fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload: Buffer.from(b.subarray(off, off + len)) };
      this.frames.push(frame);
      this.buf = b.subarray(off + len);
      if (frame.opcode === Op.Close) this.socket.end(closeFrame(frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1000));
    }
  }
}

/**
 * Opens a raw TCP connection, upgrades it to our endpoint (query `v=1&cid=…&uid=…`), and waits for the
 * handshake message. For attacks on the framing layer.
 */
export async function rawUpgrade(s: SecurityServer, query = 'v=1&cid=raw-attacker&uid=attacker'): Promise<RawClient> {
  const c = await RawClient.open(s.port);
  await c.write(httpRequest('GET', `/chsk?${query}`, upgradeHeaders(s.host)));
  const status = await c.status;
  if (status !== 101) throw new Error(`upgrade answered ${status}: ${c.body}`);
  await c.until(() => c.messages(s.packer).some((m) => m.t === 'hs'));
  return c;
}

/** The outcome of one WebSocket handshake attempt made with the `ws` client. */
export interface HandshakeResult {
  /** 101 when the upgrade succeeded, else the HTTP status of the refusal. */
  status: number;
  /** The refusal's body (JSON `{ code, message }` from sente-rx). */
  body: string;
  /** Response headers (the 101's, or the refusal's). */
  headers: Record<string, string | string[] | undefined>;
  /** The subprotocol the server selected. */
  protocol?: string;
  /** The first message (the handshake), raw, when the upgrade succeeded. */
  firstFrame?: string;
  /** The close code, when the server closed right after the upgrade instead of sending a handshake. */
  closeCode?: number;
  /** The open socket, when the upgrade succeeded; the caller closes it. */
  ws?: WebSocket;
}

/**
 * Attempts a handshake with the `ws` client: `protocols` as offered (default `sente-rx.v1`), extra `headers`
 * (Origin, Cookie, …), `query` appended to the URL (default `v=1&cid=probe`).
 */
export function tryHandshake(
  url: string,
  o: { protocols?: string[]; headers?: Record<string, string>; query?: string } = {},
): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}?${o.query ?? 'v=1&cid=probe'}`, o.protocols ?? ['sente-rx.v1'], { headers: o.headers });
    let upgradeHeaders: Record<string, string | string[] | undefined> = {};
    ws.on('upgrade', (res) => (upgradeHeaders = res.headers));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    ws.on('error', (e) => reject(e));
    ws.once('message', (data) => resolve({ status: 101, body: '', headers: upgradeHeaders, protocol: ws.protocol, firstFrame: String(data), ws }));
    ws.once('close', (code) => resolve({ status: 101, body: '', headers: upgradeHeaders, protocol: ws.protocol, closeCode: code }));
  });
}

/** A query parameter of a request's URL (the tests' stand-in for session data). */
export const param = (req: { url?: string }, name: string): string | null => new URL(req.url ?? '/', 'http://x').searchParams.get(name);

/** Runs `f` against a fresh JSON-packer security server with options `o`, and stops the server after. */
export async function withServer(o: ServerOptions, f: (s: SecurityServer) => Promise<void>): Promise<void> {
  const s = await startSecurityServer(jsonPacker, o);
  try {
    await f(s);
  } finally {
    await s.stop();
  }
}
