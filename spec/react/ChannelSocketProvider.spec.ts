/**
 * @jest-environment ./spec/support/jsdomNodeEnvironment.cjs
 */
import { act, render, renderHook, waitFor as rtlWaitFor } from '@testing-library/react';
import { createElement as h, StrictMode, useState, type ReactNode } from 'react';
import { asyncScheduler } from 'rxjs';
import type { Duplex } from 'stream';
import WebSocket from 'ws';
import { ChannelSocketProvider, useChannelSocket, useChannelState, useEvent } from '../../src/react';
import type { ClientOptions } from '../../src/client';
import { startServer, type TestServer } from '../support/harness';

// The provider and hooks in jsdom under StrictMode, against a real server: the server counts the WebSocket
// upgrades it sees, so "one connection" is the server's count, not the client's opinion.
type Events = { 'demo/ping': { data: { n: number } } };

let server: TestServer<Events>;
/** WebSocket upgrades the server has seen, and the sockets of those still open. */
let upgrades = 0;
const sockets = new Set<Duplex>();
beforeEach(async () => {
  server = await startServer<Events>();
  upgrades = 0;
  created = 0;
  sockets.clear();
  server.http.prependListener('upgrade', (_req: unknown, socket: Duplex) => {
    upgrades++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
});
afterEach(() => server.stop());

/**
 * Sockets the client created. ws aborts a socket closed before its handshake without sending it, so the server
 * alone would not see StrictMode's throw-away connection; a browser would send it.
 */
let created = 0;
class CountingWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    created++;
  }
}
const opts = (): ClientOptions => ({ url: `${server.url}?uid=u1`, WebSocket: CountingWebSocket, type: 'ws' });
const strict = (children: ReactNode, options = opts()) => h(StrictMode, null, h(ChannelSocketProvider, { options }, children));

function Status() {
  const s = useChannelState();
  return h('span', { 'data-testid': 'status' }, s.status);
}

/** Resolves once the server holds `n` open WebSocket connections. */
const serverConnections = (n: number) => rtlWaitFor(() => expect(sockets.size).toBe(n), { timeout: 5000 });

test('StrictMode: one provider opens exactly one connection, and the page shows it open', async () => {
  const view = render(strict(h(Status)));
  await rtlWaitFor(() => expect(view.getByTestId('status').textContent).toBe('open'), { timeout: 5000 });
  await serverConnections(1);
  // Nothing else is on its way: a second connection would have been opened in the same commit.
  expect(upgrades).toBe(1);
  expect(created).toBe(1);
  view.unmount();
  await serverConnections(0);
  expect(upgrades).toBe(1);
});

test('StrictMode: pushes reach useEvent once per push, and unmounting disconnects', async () => {
  const seen: number[] = [];
  function Pings() {
    useEvent<Events, 'demo/ping'>('demo/ping', (d) => seen.push(d.n));
    return h(Status);
  }
  const view = render(strict(h(Pings)));
  await rtlWaitFor(() => expect(view.getByTestId('status').textContent).toBe('open'), { timeout: 5000 });
  act(() => {
    server.chsk.send('u1', ['demo/ping', { n: 1 }]);
    server.chsk.send('u1', ['demo/ping', { n: 2 }]);
  });
  await rtlWaitFor(() => expect(seen).toEqual([1, 2]), { timeout: 5000 });
  view.unmount();
  await serverConnections(0);
});

test('a provider that unmounts for good closes its connection; a new one opens a new one', async () => {
  function Toggle() {
    const [on, setOn] = useState(true);
    return h('div', null, h('button', { onClick: () => setOn((x) => !x) }, 'toggle'), on ? h(ChannelSocketProvider, { options: opts() }, h(Status)) : null);
  }
  const view = render(h(StrictMode, null, h(Toggle)));
  await rtlWaitFor(() => expect(view.getByTestId('status').textContent).toBe('open'), { timeout: 5000 });
  act(() => view.getByText('toggle').click());
  await serverConnections(0);
  act(() => view.getByText('toggle').click());
  await rtlWaitFor(() => expect(view.getByTestId('status').textContent).toBe('open'), { timeout: 5000 });
  expect(upgrades).toBe(2);
  expect(created).toBe(2);
  view.unmount();
});

test('a given client is used as is: the provider neither connects nor disconnects it', async () => {
  const client = server.client({ url: `${server.url}?uid=u1` });
  const view = render(h(StrictMode, null, h(ChannelSocketProvider<Events>, { client }, h(Status))));
  await rtlWaitFor(() => expect(view.getByTestId('status').textContent).toBe('open'), { timeout: 5000 });
  view.unmount();
  // Queued on the same scheduler after the provider's deferred disconnect would be, so it runs after it.
  await new Promise((r) => asyncScheduler.schedule(r));
  expect(client.state$.value.open).toBe(true);
  expect(upgrades).toBe(1);
});

test('the status goes reconnecting, then open, when the server drops the link', async () => {
  const statuses: string[] = [];
  function Track() {
    const s = useChannelState();
    statuses.push(s.status);
    return null;
  }
  const view = render(strict(h(Track), { ...opts(), backoff: () => 50 }));
  await rtlWaitFor(() => expect(statuses.at(-1)).toBe('open'), { timeout: 5000 });
  act(() => sockets.forEach((s) => s.destroy())); // a server-side drop
  await rtlWaitFor(() => expect(statuses).toContain('reconnecting'), { timeout: 5000 });
  await rtlWaitFor(() => expect(statuses.at(-1)).toBe('open'), { timeout: 5000 });
  view.unmount();
});

test('useChannelSocket outside a provider throws CHSK_NO_PROVIDER', () => {
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  expect(() => renderHook(() => useChannelSocket())).toThrow(expect.objectContaining({ code: 'CHSK_NO_PROVIDER' }));
});
