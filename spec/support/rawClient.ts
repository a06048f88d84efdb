import WebSocket from 'ws';
import type { Packer } from '../../src/packers/Packer';
import { waitFor } from './harness';
import { ReplaySubject } from 'rxjs';

/** A bare `ws` client that speaks (or breaks) the protocol by hand, for malformed-input tests. */
export interface RawClient {
  ws: WebSocket;
  /** Every decoded message the server sent, in order. */
  messages$: ReplaySubject<Record<string, unknown>>;
  /** Resolves with the close code. */
  closed: Promise<number>;
  sendRaw(data: string | Buffer): void;
  sendMsg(m: unknown): void;
  next(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

export async function rawClient(url: string, packer: Packer, query = 'cid=raw'): Promise<RawClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}?${query}`, ['sente-rx.v1']);
  const messages$ = new ReplaySubject<Record<string, unknown>>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    messages$.next(packer.unpack(isBinary ? new Uint8Array(data) : data.toString('utf8')) as Record<string, unknown>);
  });
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages$,
    closed,
    sendRaw: (d) => ws.send(d),
    sendMsg: (m) => ws.send(packer.pack(m)),
    next: (pred) => waitFor(messages$, pred),
  };
}
