/**
 * A throwing `events$` subscriber never takes the server down (issue 10 #1). RxJS rethrows an error thrown
 * by a subscriber (or an operator error nobody handles) in a timer, and Node exits: the reproduction is the
 * README's old quick-start handler reading `m.data.text` of `{"t":"e","ev":["chat/send"]}` from an anonymous
 * client. The test routes RxJS's unhandled errors into a list (where they would have crashed the process)
 * and expects none, a report on `errors$`, and the same subscription still serving.
 */
import { config, map } from 'rxjs';
import { ofEvent } from '../../src';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { msgpackPacker } from '../../src/packers/msgpack';
import type { Packer } from '../../src/packers/Packer';
import { ErrorCode } from '../../src/protocol/codes';
import type { ServerErrorReport } from '../../src/server';
import { startServer, type TestServer } from '../support/harness';
import { eventually, type SecurityServer } from '../security/support';
import { TRANSPORTS } from '../security/transports';

interface ChatEvents {
  'chat/send': { data: { text: string }; reply: { ok: boolean } };
  'chat/msg': { data: { from: string; text: string } };
}

const PACKERS: readonly Packer[] = [jsonPacker, msgpackPacker];
const MATRIX = TRANSPORTS.flatMap(({ name, transport }) => PACKERS.map((packer) => ({ name, transport, packer, packerName: packer.name })));

describe.each(MATRIX)('$name / $packerName', ({ transport, packer }) => {
  let s: TestServer<ChatEvents>;
  let reports: ServerErrorReport[];
  let unhandled: unknown[];
  const saved = config.onUnhandledError;
  beforeEach(async () => {
    unhandled = [];
    // Where RxJS sends what it would otherwise rethrow in a timer (and crash the process with).
    config.onUnhandledError = (e) => unhandled.push(e);
    s = await startServer<ChatEvents>({ packer });
    reports = [];
    s.chsk.errors$.subscribe((r) => reports.push(r));
  });
  afterEach(async () => {
    await s.stop();
    config.onUnhandledError = saved;
  });

  const attack = async (frames: unknown[]) => {
    const conn = await transport.connect({ ...s, packer, port: 0, host: '', reports: [] } as SecurityServer);
    await conn.send(frames.map((f) => packer.pack(f)));
    return conn;
  };

  it("the README's old handler: m.data.text on an event without data is reported, and the subscriber keeps serving", async () => {
    const texts: string[] = [];
    s.chsk.events$.pipe(ofEvent('chat/send')).subscribe((m) => {
      texts.push(m.data.text.toUpperCase());
      m.reply?.({ ok: true });
    });
    const conn = await attack([{ t: 'e', ev: ['chat/send'] }, { t: 'q', rid: 1, ev: ['chat/send', { text: 'hi' }] }]);
    await conn.until(() => conn.received().some((m) => m.t === 'r'));
    await eventually(() => reports.length > 0, 'a report');
    expect(reports.map((r) => r.code)).toEqual([ErrorCode.HandlerError]);
    expect(reports[0]!.message).toMatch(/events\$ subscriber threw/);
    expect(reports[0]!.clientId).toBe('attacker');
    expect(texts).toEqual(['HI']);
    expect(conn.received().filter((m) => m.t === 'r')).toEqual([{ t: 'r', rid: 1, d: { ok: true } }]);
    expect(unhandled).toEqual([]);
    conn.close();
  });

  it('an operator that throws, with no error callback, ends that subscription with a report, not a crash', async () => {
    const lengths: number[] = [];
    s.chsk.events$.pipe(ofEvent('chat/send'), map((m) => m.data.text.length)).subscribe((n) => lengths.push(n));
    const others: string[] = [];
    s.chsk.events$.subscribe((m) => others.push(m.id));
    const conn = await attack([{ t: 'e', ev: ['chat/send'] }, { t: 'e', ev: ['chat/send', { text: 'abc' }], mid: 1 }]);
    await conn.until(() => conn.received().some((m) => m.t === 'a'));
    await eventually(() => reports.length > 0, 'a report');
    expect(reports.map((r) => r.code)).toEqual([ErrorCode.HandlerError]);
    expect(reports[0]!.message).toMatch(/events\$ subscription failed/);
    expect(lengths).toEqual([]);
    expect(others.filter((id) => id === 'chat/send')).toHaveLength(2);
    expect(unhandled).toEqual([]);
    conn.close();
  });
});
