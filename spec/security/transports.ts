import { randomBytes } from 'crypto';
import WebSocket from 'ws';
import type { Frame, Packer } from '../../src/packers/Packer';
import { AjaxHeader, LENGTH_PREFIX_BYTES } from '../../src/protocol/ajax';
import { ErrorCode } from '../../src/protocol/codes';
import type { ServerMessage } from '../../src/protocol/messages';
import { randomCid, rawHandshake, rawPoll, rawPost, type RawAnswer } from '../support/ajaxRaw';
import { WAIT_MS } from '../support/harness';
import type { AjaxRequest, HttpOutcome, TransportName } from './corpus';
import { decode, type SecurityServer } from './support';

/** An attacker's connection after its handshake, whatever carries it. */
export interface AttackConn {
  /** Sends frames in order, as they are: a string as a text frame / text body, bytes as binary. */
  send(frames: readonly Frame[]): Promise<void>;
  /** Messages the server sent after the handshake, unpacked, in order. */
  received(): ServerMessage[];
  /** Resolves when `cond` holds or the connection has closed; fails after WAIT_MS. */
  until(cond: () => boolean): Promise<void>;
  /** The code the server closed the connection with; undefined while open. */
  closeCode(): number | undefined;
  /** Ajax: the refusals the POSTs carrying frames got, in order (a 410 after a close excepted). WebSocket: none. */
  refused(): readonly HttpOutcome[];
  /** Ends the connection from the attacker's side. */
  close(): void;
}

/** The status and raw body of one HTTP answer. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * One column of the hostile corpus: how an attacker reaches the server over one transport. The runner
 * (hostile.spec.ts) asks for connections and raw requests only through this interface.
 */
export interface HostileTransport {
  readonly name: TransportName;
  /** Opens a connection as uid `attacker` and resolves once its handshake arrived. */
  connect(s: SecurityServer): Promise<AttackConn>;
  /** Ajax only: sends one raw HTTP request to the endpoint (the `ajax` cases). */
  http?(s: SecurityServer, req: AjaxRequest): Promise<HttpAnswer>;
}

/** The `ws` column: the `ws` package's client, sending whatever frames the case builds. */
export const wsTransport: HostileTransport = {
  name: 'ws',
  connect(s) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${s.url.replace(/^http/, 'ws')}?v=1&cid=attacker&uid=attacker`, ['sente-rx.v1']);
      const received: ServerMessage[] = [];
      const waiters = new Set<() => void>();
      let code: number | undefined;
      let handshake = false;
      const notify = () => {
        for (const w of [...waiters]) w();
      };
      ws.on('error', () => undefined); // the server may cut us off mid-send; the close code tells what happened
      ws.on('unexpected-response', (_req, res) => reject(new Error(`attacker's upgrade answered ${res.statusCode}`)));
      ws.on('message', (data, isBinary) => {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
        const m = decode(s.packer, isBinary ? new Uint8Array(buf) : buf.toString('utf8'));
        if (m === undefined) return;
        if (!handshake && m.t === 'hs') {
          handshake = true;
          resolve(conn);
          return;
        }
        received.push(m);
        notify();
      });
      ws.on('close', (c) => {
        code = c;
        notify();
        if (!handshake) reject(new Error(`attacker's connection closed with ${c} before the handshake`));
      });
      const conn: AttackConn = {
        async send(frames) {
          for (const f of frames) {
            if (ws.readyState !== WebSocket.OPEN) return;
            await new Promise<void>((r) => ws.send(f, { binary: typeof f !== 'string' }, () => r()));
          }
        },
        received: () => received,
        until(cond) {
          return new Promise((res, rej) => {
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(new Error(`timed out; received so far: ${JSON.stringify(received).slice(0, 500)}`));
            }, WAIT_MS);
            const check = () => {
              if (cond() || code !== undefined) {
                clearTimeout(timer);
                waiters.delete(check);
                res();
              }
            };
            waiters.add(check);
            check();
          });
        },
        closeCode: () => code,
        refused: () => [],
        close: () => ws.terminate(),
      };
    });
  },
};

/**
 * Frames as an Ajax body, framed as PROTOCOL.md says, from their bytes as they are (so bytes that
 * are not UTF-8 stay so, where `encodeBody` would decode them): for a text packer the frames separated by
 * `\n`, for a binary packer each behind a 4-byte big-endian length.
 */
function bodyOf(frames: readonly Frame[], packer: Packer): Buffer {
  const parts: Uint8Array[] = [];
  for (const frame of frames) {
    const bytes = typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame;
    if (packer.binary) {
      const prefix = Buffer.alloc(LENGTH_PREFIX_BYTES);
      prefix.writeUInt32BE(bytes.byteLength);
      parts.push(prefix, bytes);
    } else {
      // A raw newline would split the frame in two: no corpus frame has one (JSON never emits it).
      if (bytes.includes(0x0a)) throw new Error('a text frame with a raw newline cannot travel as one Ajax frame');
      if (parts.length > 0) parts.push(Buffer.from('\n'));
      parts.push(bytes);
    }
  }
  return Buffer.concat(parts);
}

/** `n` bytes of `a`, at once or as a stream of 16 KiB chunks (sent chunked, without a content-length). */
function filler(n: number, streamed: boolean): Uint8Array | ReadableStream<Uint8Array> {
  const bytes = new Uint8Array(n).fill(0x61);
  if (!streamed) return bytes;
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (at >= n) return ctl.close();
      ctl.enqueue(bytes.subarray(at, (at += 16 * 1024)));
    },
  });
}

const outcomeOfAnswer = (a: RawAnswer): HttpOutcome => (a.json?.code === undefined ? { status: a.status } : { status: a.status, code: a.json.code });

/**
 * The `ajax` column, speaking the Ajax part of PROTOCOL.md by hand (spec/support/ajaxRaw.ts). `connect` does the
 * handshake GET as uid `attacker`, then keeps one long-poll in flight (acknowledging what it got) until the
 * server closes the connection, which it says with `x-chsk-closed: <code>` on a poll answer; `send` POSTs
 * each frame as a body of its own, in order, with the token, and records any refusal.
 */
export const ajaxTransport: HostileTransport = {
  name: 'ajax',
  async connect(s) {
    const packer = s.packer;
    const rc = await rawHandshake(s.url, { cid: 'attacker', uid: 'attacker', packer });
    // Anything the server wrote after the handshake message, in the handshake's own answer, counts.
    const received = rc.messages.slice(1) as ServerMessage[];
    const refused: HttpOutcome[] = [];
    const problems: string[] = [];
    const waiters = new Set<() => void>();
    const aborter = new AbortController();
    let code: number | undefined;
    /** The POSTs were answered 410 CHSK_CLOSED: the connection is gone, nothing more is sent. */
    let gone = false;
    /** The poll loop stopped (closed, refused, or ended by us). */
    let stopped = false;
    const notify = () => {
      for (const w of [...waiters]) w();
    };
    const pollLoop = async (): Promise<void> => {
      while (code === undefined && !aborter.signal.aborted) {
        const ack = rc.ack;
        let a: RawAnswer;
        try {
          a = await rawPoll(s.url, rc, { packer, signal: aborter.signal });
        } catch (e) {
          if (!aborter.signal.aborted) problems.push(`poll failed: ${String(e)}`);
          break;
        }
        if (a.status === 200) {
          // The answer holds frames `seq - n` to `seq`; any before our ack would be a resend (never expected).
          const start = rc.ack - a.messages.length;
          received.push(...(a.messages.slice(Math.max(0, ack - start)) as ServerMessage[]));
        } else if (a.status !== 204) {
          problems.push(`poll answered ${a.status} ${a.text ?? ''}`);
          break;
        }
        const closed = a.headers.get(AjaxHeader.Closed);
        if (closed !== null) code = Number(closed);
        notify();
      }
      stopped = true;
      notify();
    };
    void pollLoop();
    const conn: AttackConn = {
      async send(frames) {
        for (const f of frames) {
          if (code !== undefined || gone || aborter.signal.aborted) return;
          let a: RawAnswer;
          try {
            a = await rawPost(s.url, rc, [], { packer, body: bodyOf([f], packer) });
          } catch (e) {
            refused.push({ status: 0, code: `network error: ${String(e)}` });
            continue;
          }
          // Like a WebSocket that is no longer open: the close code comes on the poll.
          if (a.status === 410 && a.json?.code === ErrorCode.Closed) gone = true;
          else if (a.status !== 204) refused.push(outcomeOfAnswer(a));
        }
      },
      received: () => received,
      until(cond) {
        return new Promise((res, rej) => {
          const timer = setTimeout(() => {
            waiters.delete(check);
            rej(new Error(`timed out; received so far: ${JSON.stringify(received).slice(0, 500)}; problems: ${problems.join('; ')}`));
          }, WAIT_MS);
          const check = () => {
            if (cond() || code !== undefined || stopped) {
              clearTimeout(timer);
              waiters.delete(check);
              if (problems.length > 0 && !cond()) rej(new Error(`the Ajax attacker's poll stopped: ${problems.join('; ')}`));
              else res();
            }
          };
          waiters.add(check);
          check();
        });
      },
      closeCode: () => code,
      refused: () => refused,
      close: () => aborter.abort(),
    };
    return conn;
  },

  async http(s, req) {
    const packer = s.packer;
    if (req.handshake) {
      const q = new URLSearchParams({ v: '1', hs: '1', cid: randomCid(), uid: 'attacker' });
      for (const [k, v] of req.query ?? []) q.set(k, v);
      const r = await fetch(`${s.url}?${q}`, { headers: { ...req.headers } });
      return { status: r.status, body: await r.text() };
    }
    const rc = await rawHandshake(s.url, { uid: 'attacker', packer });
    const query: Record<string, string> = {};
    for (const [k, v] of req.query ?? []) Object.defineProperty(query, k, { value: v, enumerable: true, writable: true, configurable: true });
    let token: string | null = rc.token;
    let cid = rc.cid;
    switch (req.token) {
      case 'valid':
        break;
      case 'forged': {
        const [selector, secret] = rc.token.split('.') as [string, string];
        token = `${selector}.${randomBytes(Buffer.from(secret, 'base64url').length).toString('base64url')}`;
        break;
      }
      case 'foreign':
        cid = (await rawHandshake(s.url, { uid: 'victim', packer })).cid;
        break;
      case 'missing':
        token = null;
        break;
      case 'query-only':
        token = null;
        for (const name of [AjaxHeader.Token, 'tk', 'token']) query[name] = rc.token;
        break;
    }
    const o = { packer, token, cid, query, headers: { ...req.headers } };
    let a: RawAnswer;
    if (req.method === 'GET') {
      a = await rawPoll(s.url, rc, o);
    } else {
      const b = req.body;
      const body =
        b === undefined ? new Uint8Array(0) : 'frames' in b ? bodyOf(b.frames(packer), packer) : 'raw' in b ? b.raw : filler(b.filler, b.streamed === true);
      a = await rawPost(s.url, rc, [], { ...o, body });
    }
    return { status: a.status, body: a.text ?? '' };
  },
};

/** The transport dimension of the corpus. */
export const TRANSPORTS: readonly { name: TransportName; transport: HostileTransport }[] = [
  { name: 'ws', transport: wsTransport },
  { name: 'ajax', transport: ajaxTransport },
];
