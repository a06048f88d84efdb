/**
 * The Ajax connection's end-of-tick work (answering a held poll with coalesceMs 0, answering a POST that
 * carries replies back) runs on the configured scheduler, so a server given a TestScheduler is driven wholly
 * in virtual time. Before: both went through a bare asapScheduler, and ran in a real microtask whatever the
 * server's scheduler was.
 */
import { EventEmitter } from 'events';
import type { ServerResponse } from 'http';
import { TestScheduler } from 'rxjs/testing';
import { AjaxConnection, type AjaxEnv } from '../../../src/server/ajax/AjaxConnection';
import type { ConnectionHandle } from '../../../src/server/ServerConnection';

/** Just what AjaxConnection touches of a ServerResponse. */
class FakeResponse extends EventEmitter {
  statusCode = 0;
  writableEnded = false;
  destroyed = false;
  body: string | undefined;
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  end(body?: string): void {
    this.writableEnded = true;
    this.body = body;
  }
}
const res = (): FakeResponse & ServerResponse => new FakeResponse() as FakeResponse & ServerResponse;

function setup() {
  const scheduler = new TestScheduler(() => undefined);
  const env: AjaxEnv = {
    scheduler,
    binary: false,
    longPollTimeoutMs: 20_000,
    gapMs: 5000,
    coalesceMs: 0,
    maxQueue: 100,
    report: () => undefined,
    dispose: () => undefined,
  };
  const conn = new AjaxConnection('cid', 'sel', 'secret', env);
  // A core that answers every received frame at once with a frame of its own (a handler replying in the same tick).
  const handle = { receive: (f: unknown) => conn.send(`re:${String(f)}`), closed: () => undefined } as unknown as ConnectionHandle;
  conn.attach(handle);
  return { scheduler, conn };
}

/** Lets every pending microtask and immediate run: what a bare asapScheduler would have used. */
const realTick = () => new Promise((r) => setImmediate(r));

describe('AjaxConnection runs its end-of-tick work on the configured scheduler', () => {
  it('a held poll is answered when the scheduler runs, not in a real microtask (coalesceMs 0)', async () => {
    const { scheduler, conn } = setup();
    const poll = res();
    expect(conn.poll(poll, 0)).toBe(true);
    conn.send('push-1');
    conn.send('push-2');
    await realTick();
    expect(poll.writableEnded).toBe(false);
    scheduler.flush();
    expect([poll.statusCode, poll.headers['x-chsk-seq']]).toEqual([200, '2']);
  });

  it('a POST that carries replies back is answered when the scheduler runs', async () => {
    const { scheduler, conn } = setup();
    const post = res();
    expect(conn.receive(['q1'], post)).toBe(true);
    await realTick();
    expect(post.writableEnded).toBe(false);
    scheduler.flush();
    expect([post.statusCode, post.headers['x-chsk-seq']]).toEqual([200, '1']);
  });
});
