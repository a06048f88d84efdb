import { asyncScheduler } from 'rxjs';
import { MemoryAdapter } from '../../../src/server/adapter/MemoryAdapter';
import { ServerConn, type WriteGuard } from '../../../src/server/ServerConn';
import type { ServerConnection } from '../../../src/server/ServerConnection';
import type { ChskRequest } from '../../../src/protocol/events';

const guard: WriteGuard = { maxBufferedBytes: Infinity, policy: 'close', windowMs: 1000, scheduler: asyncScheduler, overflow: () => undefined };
let ids = 0;
function conn(key: string, transport: 'ws' | 'ajax' = 'ws'): ServerConn {
  const link: ServerConnection = { transport, send: () => undefined, close: () => undefined };
  return new ServerConn(ids++, key, key, `c${ids}`, {} as ChskRequest, link, guard);
}

describe('MemoryAdapter', () => {
  test('keeps the connections of each uid through adds and removes, one or many', () => {
    const a = new MemoryAdapter();
    const [x1, x2, x3, y] = [conn('x'), conn('x', 'ajax'), conn('x'), conn('y')];
    a.add(x1);
    a.add(y);
    expect([...a.connectionsOf('x')]).toEqual([x1]);
    a.add(x2);
    a.add(x3);
    expect([...a.connectionsOf('x')]).toEqual([x1, x2, x3]);
    expect(a.count('x', 'ws')).toBe(2);
    expect(a.count('x', 'ajax')).toBe(1);
    a.remove(x1);
    a.remove(x3);
    expect([...a.connectionsOf('x')]).toEqual([x2]);
    a.remove(x2);
    expect([...a.connectionsOf('x')]).toEqual([]);
    expect([...a.allConnections()]).toEqual([y]);
    a.remove(y);
    a.remove(y); // twice: no effect
    expect([...a.connectionsOf('y')]).toEqual([]);
    expect([...a.allConnections()]).toEqual([]);
  });

  test('adding the same connection twice keeps it once', () => {
    const a = new MemoryAdapter();
    const x = conn('x');
    a.add(x);
    a.add(x);
    expect([...a.connectionsOf('x')]).toEqual([x]);
  });

  test('removing connections while iterating a uid visits each remaining one once', () => {
    const a = new MemoryAdapter();
    const xs = [conn('x'), conn('x'), conn('x')];
    for (const c of xs) a.add(c);
    const seen: ServerConn[] = [];
    for (const c of a.connectionsOf('x')) {
      seen.push(c);
      a.remove(c); // as a write that closes a slow consumer would
    }
    expect(seen).toEqual(xs);
    expect([...a.connectionsOf('x')]).toEqual([]);
  });
});
