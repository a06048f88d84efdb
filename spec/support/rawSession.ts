import WebSocket from 'ws';
import { ReplaySubject, firstValueFrom, filter, timeout } from 'rxjs';
import type { Packer } from '../../src/packers/Packer';
import { WAIT_MS } from './harness';

/** A message as unpacked. */
export type Msg = Record<string, unknown>;

/** A WebSocket session spoken by hand as (client id, uid), for the dedupe suites. */
export interface RawSession {
  hs: Msg;
  /** Every message after the handshake, batches flattened. */
  got: Msg[];
  /** Sends one message, or several as one batch. */
  send(...ms: Msg[]): void;
  next(pred: (m: Msg) => boolean): Promise<Msg>;
  close(): Promise<void>;
}

/** Opens a raw session and waits for its handshake. */
export async function raw(url: string, packer: Packer, cid: string, uid: string): Promise<RawSession> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}?v=1&cid=${cid}&uid=${uid}`, ['sente-rx.v1']);
  const all = new ReplaySubject<Msg>();
  const got: Msg[] = [];
  const one = (m: Msg): void => {
    if (m.t === 'b') return (m.ms as Msg[]).forEach(one);
    if (m.t !== 'hs') got.push(m);
    all.next(m);
  };
  ws.on('message', (d: Buffer, bin: boolean) => one(packer.unpack(bin ? new Uint8Array(d) : d.toString('utf8')) as Msg));
  const next = (pred: (m: Msg) => boolean) => firstValueFrom(all.pipe(filter(pred), timeout(WAIT_MS)));
  const hs = await next((m) => m.t === 'hs');
  return {
    hs,
    got,
    send: (...ms) => ws.send(packer.pack(ms.length === 1 ? ms[0] : { t: 'b', ms })),
    next,
    close: () => new Promise<void>((r) => (ws.readyState === WebSocket.CLOSED ? r() : (ws.once('close', () => r()), ws.terminate()))),
  };
}

/** Waits for a condition (a guard of WAIT_MS, never a sleep). */
export async function waitUntil(cond: () => boolean): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
