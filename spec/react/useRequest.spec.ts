/**
 * @jest-environment ./spec/support/jsdomNodeEnvironment.cjs
 */
import { act, render, waitFor as rtlWaitFor } from '@testing-library/react';
import { createElement as h, StrictMode, useState } from 'react';
import { filter, finalize, mergeMap, of, EMPTY, asyncScheduler } from 'rxjs';
import WebSocket from 'ws';
import { reply } from '../../src';
import { ChannelSocketProvider, createChannelSocketHooks } from '../../src/react';
import type { ChannelSocketClient } from '../../src/client';
import { startServer, type TestServer } from '../support/harness';

// useRequest against a real server, StrictMode on: one request per mount and per event, the reply rendered,
// the wait cancelled on unmount.
type Events = {
  'demo/echo': { data: { text: string }; reply: { echoed: string } };
  'demo/never': { data: null; reply: string };
};
const { useRequest } = createChannelSocketHooks<Events>();

let server: TestServer<Events>;
const received: string[] = [];
beforeEach(async () => {
  received.length = 0;
  server = await startServer<Events>();
  server.chsk.events$.subscribe((m) => received.push(m.id));
  server.chsk.handle((msg$) =>
    msg$.pipe(
      filter((m) => m.id === 'demo/echo'),
      mergeMap((m) => (m.id === 'demo/echo' ? of(reply(m, { echoed: m.data.text.toUpperCase() })) : EMPTY)),
    ),
  );
});
afterEach(() => server.stop());

function Echo({ text }: { text: string }) {
  const r = useRequest(['demo/echo', { text }], { timeoutMs: 3000 });
  return h('span', { 'data-testid': 'echo' }, r.status === 'success' ? r.data!.echoed : r.status);
}

test('StrictMode: the request goes out once per event, and a new event sends again', async () => {
  const client = await server.connected({ WebSocket, type: 'ws' });
  function App() {
    const [text, setText] = useState('hi');
    return h('div', null, h('button', { onClick: () => setText('yo') }, 'change'), h(Echo, { text }));
  }
  const view = render(h(StrictMode, null, h(ChannelSocketProvider<Events>, { client }, h(App))));
  await rtlWaitFor(() => expect(view.getByTestId('echo').textContent).toBe('HI'), { timeout: 5000 });
  expect(received.filter((id) => id === 'demo/echo')).toHaveLength(1);
  act(() => view.getByText('change').click());
  expect(view.getByTestId('echo').textContent).toBe('loading');
  await rtlWaitFor(() => expect(view.getByTestId('echo').textContent).toBe('YO'), { timeout: 5000 });
  expect(received.filter((id) => id === 'demo/echo')).toHaveLength(2);
  view.unmount();
});

test('unmounting cancels the wait for the reply', async () => {
  const real = await server.connected({ WebSocket, type: 'ws' });
  let live = 0;
  const client: ChannelSocketClient<Events> = {
    ...real,
    send: (ev, o) => (live++, real.send(ev, o).pipe(finalize(() => live--))),
  };
  function Never() {
    const r = useRequest(['demo/never', null], { timeoutMs: 60_000 });
    return h('span', null, r.status);
  }
  const view = render(h(StrictMode, null, h(ChannelSocketProvider<Events>, { client }, h(Never))));
  await rtlWaitFor(() => expect(received).toContain('demo/never'), { timeout: 5000 });
  expect(live).toBe(1);
  view.unmount();
  await new Promise((r) => asyncScheduler.schedule(r)); // after the hook's deferred cancel (same scheduler, queued later)
  expect(live).toBe(0);
});

test('a null event sends nothing and reads idle; errors show as error', async () => {
  const client = await server.connected({ WebSocket, type: 'ws' });
  function Idle() {
    const r = useRequest(null);
    const t = useRequest(['demo/never', null], { timeoutMs: 50 });
    return h('span', { 'data-testid': 'x' }, `${r.status}/${t.status}/${t.error?.name ?? ''}`);
  }
  const view = render(h(StrictMode, null, h(ChannelSocketProvider<Events>, { client }, h(Idle))));
  await rtlWaitFor(() => expect(view.getByTestId('x').textContent).toBe('idle/error/ReplyTimeoutError'), { timeout: 5000 });
  view.unmount();
});

test('a provider that owns its client: a request sent at mount goes out (the client starts before children send)', async () => {
  const view = render(h(StrictMode, null, h(ChannelSocketProvider, { options: { url: `${server.url}?uid=u1`, WebSocket, type: 'ws' } }, h(Echo, { text: 'first' }))));
  await rtlWaitFor(() => expect(view.getByTestId('echo').textContent).toBe('FIRST'), { timeout: 5000 });
  expect(received.filter((id) => id === 'demo/echo')).toHaveLength(1);
  view.unmount();
});
