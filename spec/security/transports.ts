import WebSocket from 'ws';
import type { Frame } from '../../src/packers/Packer';
import type { ServerMessage } from '../../src/protocol/messages';
import { WAIT_MS } from '../support/harness';
import type { AjaxRequest, TransportName } from './corpus';
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
        close: () => ws.terminate(),
      };
    });
  },
};

/**
 * The `ajax` column. PENDING-AJAX: the long-poll transport is built on another branch. After the merge,
 * implement `connect` (GET handshake with `uid=attacker` → token from `tk`; `send` POSTs each frame with
 * header `x-chsk-token`; long-poll GETs feed `received`; `closeCode` reports the code the core closed the
 * link with, however the transport tells the client) and `http` (one raw request; `token: 'valid'` takes a
 * token from a fresh handshake), and set it here: every `frames` case and every `ajax` case then runs for
 * both packers. The `ajax` cases' expected statuses and codes are proposals: align them with the outcomes
 * the Ajax transport documents (and SECURITY.md with them).
 */
export const ajaxTransport: HostileTransport | undefined = undefined;

/** The transport dimension of the corpus. */
export const TRANSPORTS: readonly { name: TransportName; transport: HostileTransport | undefined }[] = [
  { name: 'ws', transport: wsTransport },
  { name: 'ajax', transport: ajaxTransport },
];
