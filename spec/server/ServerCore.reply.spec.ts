import { ErrorCode } from '../../src/protocol/codes';
import { openFake } from '../support/fakeLink';

// Regression: reply(value) packed inside the handler's call; a value the packer cannot pack threw into the
// handler (an uncaught error from inside events$) after the request had been taken off the pending list,
// so the client waited for its own timeout.
describe('reply() with a value the packer cannot pack', () => {
  it.each([
    ['a BigInt', () => 1n],
    ['a cycle', () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    }],
  ])('answers CHSK_HANDLER_ERROR for %s and reports it', (_n, make) => {
    const { core, link, handle } = openFake();
    const reports: string[] = [];
    core.errors.subscribe((r) => reports.push(r.code));
    core.events.subscribe((m) => expect(() => m.reply?.(make() as never)).not.toThrow());
    handle.receive(JSON.stringify({ t: 'q', rid: 7, ev: ['test/x'] }));
    expect(link.messages().slice(1)).toEqual([{ t: 'x', rid: 7, code: ErrorCode.HandlerError, msg: 'the reply could not be packed' }]);
    expect(reports).toEqual([ErrorCode.HandlerError]);
    core.shutdown(1001, 'done');
  });
});
