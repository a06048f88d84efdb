/**
 * Runs the hostile corpus (corpus.ts) over transport × packer. For every case: the documented outcome
 * (error codes and rids, close code or HTTP status), no prototype polluted, only stable codes on errors$,
 * and a well-behaved client of the same transport on the same server answered before, during and after
 * the attack.
 */
import { jsonPacker } from '../../src/packers/jsonPacker';
import { msgpackPacker } from '../../src/packers/msgpack';
import type { Packer } from '../../src/packers/Packer';
import type { ServerMessage } from '../../src/protocol/messages';
import {
  ALL_TRANSPORTS,
  CORPUS,
  CORPUS_SERVER_OPTIONS,
  outcomeOf,
  transportsOf,
  type AjaxCase,
  type Answer,
  type ConnOutcome,
  type Ctx,
  type FramesCase,
  type HostileCase,
  type UpgradeCase,
  type WsFramesCase,
} from './corpus';
import {
  bystander,
  ERROR_CODES,
  messageFrame,
  prototypeSnapshot,
  rawUpgrade,
  RawClient,
  startSecurityServer,
  type SecurityServer,
} from './support';
import { TRANSPORTS, type HostileTransport } from './transports';

const PACKERS: readonly Packer[] = [jsonPacker, msgpackPacker];

/** Server messages as corpus answers (handshakes dropped, batches flattened). */
function toAnswers(ms: readonly ServerMessage[]): unknown[] {
  const out: unknown[] = [];
  for (const m of ms) {
    if (m.t === 'b') out.push(...toAnswers(m.ms as ServerMessage[]));
    else if (m.t === 'x') out.push({ x: m.code, ...(m.rid !== undefined ? { rid: m.rid } : {}), ...(m.mid !== undefined ? { mid: m.mid } : {}) });
    else if (m.t === 'a') out.push({ a: m.mid });
    else if (m.t === 'r') out.push({ r: m.rid, d: m.d });
    else if (m.t === 'po') out.push({ po: true });
    else if (m.t !== 'hs') out.push(m);
  }
  return out;
}

/** Drops reply data the expectation does not pin down, so the comparison shows only what matters. */
function shape(actual: unknown[], expected: readonly Answer[]): unknown[] {
  return actual.map((a, i) => {
    const e = expected[i];
    if (e && 'r' in e && !('d' in e) && typeof a === 'object' && a !== null && 'r' in a) return { r: (a as { r: number }).r };
    return a;
  });
}

function expectAnswers(received: readonly ServerMessage[], out: ConnOutcome): void {
  expect(shape(toAnswers(received), out.answers)).toEqual(out.answers);
}

const isPong = (ms: readonly ServerMessage[]) => ms.length > 0 && ms[ms.length - 1]!.t === 'po';

async function framesCase(t: HostileTransport, s: SecurityServer, c: FramesCase, out: ConnOutcome, during: () => void): Promise<void> {
  const conn = await t.connect(s);
  try {
    await conn.send(c.frames(s.packer));
    during();
    expect(conn.refused()).toEqual(out.refused ?? []);
    if (out.close !== undefined) {
      await conn.until(() => conn.closeCode() !== undefined);
      expect(conn.closeCode()).toBe(out.close);
      expectAnswers(conn.received(), out);
    } else if (c.sync === 'count') {
      await conn.until(() => toAnswers(conn.received()).length >= out.answers.length);
      expectAnswers(conn.received(), out);
      expect(conn.closeCode()).toBeUndefined();
    } else {
      await conn.send([s.packer.pack({ t: 'pi' })]);
      await conn.until(() => isPong(conn.received()));
      expect(conn.closeCode()).toBeUndefined();
      expectAnswers(conn.received().slice(0, -1), out);
    }
  } finally {
    conn.close();
  }
}

async function wsFramesCase(s: SecurityServer, c: WsFramesCase, out: ConnOutcome, during: () => void): Promise<void> {
  const raw = await rawUpgrade(s);
  try {
    for (const b of c.bytes(s.packer)) await raw.write(b);
    during();
    const received = () => raw.messages(s.packer).filter((m) => m.t !== 'hs');
    if (out.close !== undefined) {
      await raw.until(() => raw.closeCode !== undefined);
      expect(raw.closeCode).toBe(out.close);
      expectAnswers(received(), out);
    } else {
      await raw.write(messageFrame(s.packer, { t: 'pi' }));
      await raw.until(() => isPong(received()));
      expect(raw.closeCode).toBeUndefined();
      expectAnswers(received().slice(0, -1), out);
    }
  } finally {
    raw.destroy();
  }
}

async function upgradeCase(s: SecurityServer, c: UpgradeCase, ctx: Ctx, during: () => void): Promise<void> {
  const out = outcomeOf(c.expect, ctx);
  const raw = await RawClient.open(s.port);
  try {
    const req = c.request(s.host);
    const writing = c.bytewise ? raw.writeBytewise(req) : raw.write(req);
    during();
    await writing;
    const status = await raw.status;
    expect(status).toBe(out.status);
    if (status !== 101) {
      await raw.ended;
      if (out.code !== undefined) expect(JSON.parse(raw.body)).toMatchObject({ code: out.code });
      return;
    }
    await raw.until(() => raw.messages(s.packer).some((m) => m.t === 'hs') || raw.closeCode !== undefined);
    if (out.close !== undefined) {
      await raw.until(() => raw.closeCode !== undefined);
      expect(raw.closeCode).toBe(out.close);
    }
    if (out.served) {
      const frame = messageFrame(s.packer, { t: 'q', rid: 1, ev: ['test/whoami'] });
      await (c.bytewise ? raw.writeBytewise(frame) : raw.write(frame));
      await raw.until(() => raw.messages(s.packer).some((m) => m.t === 'r'));
      expect(raw.messages(s.packer).filter((m) => m.t !== 'hs')).toEqual([{ t: 'r', rid: 1, d: out.served.uid }]);
      expect(raw.closeCode).toBeUndefined();
    }
  } finally {
    raw.destroy();
  }
}

async function ajaxCase(t: HostileTransport, s: SecurityServer, c: AjaxCase, ctx: Ctx, during: () => void): Promise<void> {
  const out = outcomeOf(c.expect, ctx);
  const answering = t.http!(s, c.request);
  during();
  const a = await answering;
  expect(a.status).toBe(out.status);
  if (out.code !== undefined) expect(JSON.parse(a.body)).toMatchObject({ code: out.code });
}

async function runCase(t: HostileTransport, packer: Packer, c: HostileCase): Promise<void> {
  const before = prototypeSnapshot();
  const s = await startSecurityServer(packer, { ...CORPUS_SERVER_OPTIONS, ...c.server });
  try {
    // The bystander speaks the column's transport, so an attack on that transport's machinery would show.
    const b = await bystander(s, { type: t.name, ...c.client });
    expect(b.client.state$.value.type).toBe(t.name);
    await expect(b.ask('before')).resolves.toBe('before');
    const ctx: Ctx = { transport: t.name, packer };
    let duringReply: Promise<unknown> | undefined;
    const during = () => void (duringReply = b.ask('during'));
    switch (c.kind) {
      case 'frames':
        await framesCase(t, s, c, outcomeOf(c.expect, ctx), during);
        break;
      case 'ws-frames':
        await wsFramesCase(s, c, outcomeOf(c.expect, ctx), during);
        break;
      case 'upgrade':
        await upgradeCase(s, c, ctx, during);
        break;
      case 'ajax':
        await ajaxCase(t, s, c, ctx, during);
        break;
    }
    // Other clients were served during the attack and still are.
    await expect(duringReply).resolves.toBe('during');
    await expect(b.ask('after')).resolves.toBe('after');
    expect(b.client.state$.value).toMatchObject({ open: true, type: t.name });
    // No prototype was touched (the handler merges every payload naively: a leak would show here).
    expect(prototypeSnapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Everything the server reported carries a stable code.
    expect(s.reports.filter((r) => !ERROR_CODES.has(r.code))).toEqual([]);
  } finally {
    await s.stop();
    // Undo a pollution so that only the case that caused it fails, not every case after it.
    delete (Object.prototype as Record<string, unknown>).polluted;
  }
}

test('the corpus has at least 40 uniquely named cases, each applied to at least one transport', () => {
  const names = CORPUS.map((c) => c.name);
  expect(new Set(names).size).toBe(names.length);
  expect(names.length).toBeGreaterThanOrEqual(40);
  for (const c of CORPUS) expect(transportsOf(c).length).toBeGreaterThan(0);
});

test('a frames case left out of a transport says why, and names a case that covers the attack there', () => {
  for (const c of CORPUS) {
    if (c.kind !== 'frames') continue;
    for (const t of ALL_TRANSPORTS) {
      const na = c.notOn?.[t];
      if (!na) continue;
      expect(na.reason.length).toBeGreaterThan(0);
      const counterpart = CORPUS.find((o) => o.name === na.see);
      expect(counterpart && transportsOf(counterpart)).toContain(t);
    }
  }
});

describe.each(TRANSPORTS)('hostile corpus over $name', ({ name, transport }) => {
  describe.each(PACKERS.map((packer) => ({ packer, packerName: packer.name })))('with the $packerName packer', ({ packer }) => {
    const cases = CORPUS.filter((c) => transportsOf(c).includes(name));
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => runCase(transport, packer, c));
  });
});
