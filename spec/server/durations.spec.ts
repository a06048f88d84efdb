/**
 * Every duration option is validated (issue 10 #6): above 2^31-1 ms a Node timer fires at once (and RxJS's
 * async scheduler re-arms it every millisecond for ever), so such a value is refused with a ConfigError that
 * names the option; `Infinity` means "no deadline" where the option allows it (`requestTimeoutMs`).
 */
import { TestScheduler } from 'rxjs/testing';
import { ConfigError } from '../../src/errors/ConfigError';
import { ErrorCode } from '../../src/protocol/codes';
import { resolveServerOptions, type ServerOptions } from '../../src/server/serverOptions';
import { openFake } from '../support/fakeLink';

const MAX = 2 ** 31 - 1;

const durations: [string, (ms: number) => ServerOptions][] = [
  ['requestTimeoutMs', (ms) => ({ requestTimeoutMs: ms })],
  ['handshakeTimeoutMs', (ms) => ({ handshakeTimeoutMs: ms })],
  ['wsGraceMs', (ms) => ({ wsGraceMs: ms })],
  ['ajaxGraceMs', (ms) => ({ ajaxGraceMs: ms })],
  ['wsBatchMs', (ms) => ({ wsBatchMs: ms })],
  ['ajaxBatchMs', (ms) => ({ ajaxBatchMs: ms })],
  ['batchIdleMs', (ms) => ({ batchIdleMs: ms })],
  ['keepAlive.idleMs', (ms) => ({ keepAlive: { idleMs: ms, timeoutMs: 1000 } })],
  ['keepAlive.timeoutMs', (ms) => ({ keepAlive: { idleMs: 1000, timeoutMs: ms } })],
  ['longPollTimeoutMs', (ms) => ({ longPollTimeoutMs: ms })],
  ['ajaxCoalesceMs', (ms) => ({ ajaxCoalesceMs: ms })],
  ['closeTimeoutMs', (ms) => ({ closeTimeoutMs: ms })],
  ['slowConsumerMs', (ms) => ({ slowConsumerMs: ms })],
  ['statsIntervalMs', (ms) => ({ statsIntervalMs: ms })],
];

describe('duration options', () => {
  it.each(durations)('%s above 2^31-1 ms is refused with a ConfigError naming it', (name, make) => {
    for (const ms of [MAX + 1, 2 ** 34]) {
      expect(() => resolveServerOptions(make(ms))).toThrow(ConfigError);
      expect(() => resolveServerOptions(make(ms))).toThrow(new RegExp(`'${name.replace('.', '\\.')}'.*2147483647`));
    }
  });

  it.each(durations)('%s accepts 2^31-1 ms', (_name, make) => {
    expect(() => resolveServerOptions(make(MAX))).not.toThrow();
  });

  it.each(durations.filter(([n]) => n !== 'requestTimeoutMs'))('%s refuses Infinity (no "never" there)', (name, make) => {
    expect(() => resolveServerOptions(make(Infinity))).toThrow(new RegExp(`'${name.replace('.', '\\.')}'`));
  });

  it('requestTimeoutMs: Infinity means no deadline: no timer is armed and no CHSK_NO_REPLY is sent', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const { core, link, handle } = openFake({ scheduler: ts, requestTimeoutMs: Infinity });
    handle.receive(JSON.stringify({ t: 'q', rid: 1, ev: ['test/x'] }));
    expect(ts.actions).toHaveLength(0);
    ts.flush();
    expect(link.messages().slice(1)).toEqual([]);
    core.shutdown(1001, 'done');
  });

  it('requestTimeoutMs: 2^31-1 answers CHSK_NO_REPLY exactly then (virtual time)', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.maxFrames = Infinity;
    const { core, link, handle } = openFake({ scheduler: ts, requestTimeoutMs: MAX });
    handle.receive(JSON.stringify({ t: 'q', rid: 1, ev: ['test/x'] }));
    ts.flush();
    expect(ts.now()).toBe(MAX);
    expect(link.messages().slice(1)).toMatchObject([{ t: 'x', rid: 1, code: ErrorCode.NoReply }]);
    core.shutdown(1001, 'done');
  });
});
