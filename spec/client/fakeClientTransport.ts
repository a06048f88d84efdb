import { Observable, type Subscriber } from 'rxjs';
import type { ClientTransport, TransportSignal } from '../../src/client/ClientTransport';
import type { ServerMessage } from '../../src/protocol/messages';

/**
 * A client transport the test plays the server of, with the JSON packer: it records what the client writes
 * (batches flattened) and delivers the frames the test serves. Each connect is one link.
 */
export function fakeClientTransport(onWrite?: (m: Record<string, unknown>) => void): {
  transport: ClientTransport;
  written: Array<Record<string, unknown>>;
  /** Delivers server messages on the current link, one frame each. */
  serve(...ms: ServerMessage[]): void;
  /** The current link drops (1006). */
  drop(): void;
  links(): number;
} {
  const written: Array<Record<string, unknown>> = [];
  let current: Subscriber<TransportSignal> | undefined;
  let count = 0;
  const note = (m: Record<string, unknown>): void => {
    if (m.t === 'b') for (const x of m.ms as Array<Record<string, unknown>>) note(x);
    else written.push(m), onWrite?.(m);
  };
  const transport: ClientTransport = {
    type: 'ws',
    connect: () =>
      new Observable<TransportSignal>((s) => {
        current = s;
        count++;
        s.next({ kind: 'open', link: { send: (f) => note(JSON.parse(f as string) as Record<string, unknown>), close: () => undefined } });
        return () => {
          if (current === s) current = undefined;
        };
      }),
  };
  return {
    transport,
    written,
    serve: (...ms) => {
      for (const m of ms) current?.next({ kind: 'message', data: JSON.stringify(m) });
    },
    drop: () => {
      const s = current;
      current = undefined;
      s?.next({ kind: 'close', code: 1006, reason: '', clean: false, opened: true });
      s?.complete();
    },
    links: () => count,
  };
}

/** A handshake for the fake server (client id `c1`); `more` adds fields (`dd: 1`: it dedupes). */
export const hs = (rl?: { r: number; b: number }, more: Partial<Extract<ServerMessage, { t: 'hs' }>> = {}): ServerMessage => ({
  t: 'hs',
  v: 1,
  uid: null,
  cid: 'c1',
  ...(rl ? { rl } : {}),
  ...more,
});
