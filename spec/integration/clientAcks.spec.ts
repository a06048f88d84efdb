/**
 * The client half of message ids and acknowledgements (PROTOCOL.md, "Message ids", "`a`: acknowledgement"):
 * real servers, real clients, every transport and both packers.
 */
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { Packer } from '../../src/packers/Packer';
import { MATRIX, startServer, waitFor, type TestServer } from '../support/harness';
import type { DefaultEventMap } from '../../src';
import type { ServerOptions } from '../../src/server';

const started: Array<TestServer<DefaultEventMap>> = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

/** A packer that records every message the client packs (what it writes), batches flattened. */
function recording(packer: Packer): { packer: Packer; written: Array<Record<string, unknown>> } {
  const written: Array<Record<string, unknown>> = [];
  const note = (m: Record<string, unknown>): void => {
    if (m.t === 'b') for (const x of m.ms as Array<Record<string, unknown>>) note(x);
    else written.push(m);
  };
  return {
    written,
    packer: { ...packer, name: packer.name, binary: packer.binary, unpack: (f) => packer.unpack(f), pack: (m) => (note(m as Record<string, unknown>), packer.pack(m)) },
  };
}

describe.each(MATRIX)('$type / $packerName', ({ type, packer }) => {
  const start = async (opts: ServerOptions = {}) => {
    const s = await startServer<DefaultEventMap>({ packer, ...opts }, { client: { type } });
    started.push(s);
    s.chsk.events$.subscribe((m) => m.reply?.(m.data));
    return s;
  };

  it('gives every emit and request a mid: safe integers >= 1, increasing, never reused across a reconnect', async () => {
    const s = await start();
    const rec = recording(packer);
    const c = await s.connected({ packer: rec.packer, backoff: () => 10 });
    await firstValueFrom(c.send(['t/echo', 1]));
    await lastValueFrom(c.emit(['t/e', 2]), { defaultValue: undefined });
    c.reconnect();
    await waitFor(c.state$, (st) => st.open);
    await firstValueFrom(c.send(['t/echo', 3]));
    await lastValueFrom(c.emit(['t/e', 4]), { defaultValue: undefined });
    const sends = rec.written.filter((m) => m.t === 'e' || m.t === 'q');
    expect(sends.map((m) => (m.ev as unknown[])[1])).toEqual([1, 2, 3, 4]);
    const mids = sends.map((m) => m.mid as number);
    expect(mids.every((n) => Number.isSafeInteger(n) && n >= 1)).toBe(true);
    for (let i = 1; i < mids.length; i++) expect(mids[i]).toBeGreaterThan(mids[i - 1]);
    c.disconnect();
  });
});
