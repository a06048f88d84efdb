import { createElement as h, StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { lastValueFrom, toArray } from 'rxjs';
import { ChannelSocketProvider, useChannelSocket, useChannelState, type ClientState } from '../../src/react';
import type { ChannelSocketClient } from '../../src/client';

// Server rendering in plain Node (no window, and on Node 20 no global WebSocket): the provider hands out an
// inert client, so rendering neither throws CHSK_NO_WEBSOCKET nor opens anything, and the markup shows the
// server snapshot that hydration will also start from.
test('renders with the server snapshot and an inert client: no socket, no timer, no throw', async () => {
  let seen: { client?: ChannelSocketClient; state?: ClientState } = {};
  function Probe() {
    seen = { client: useChannelSocket(), state: useChannelState() };
    return h('span', null, seen.state!.status);
  }
  const html = renderToString(h(StrictMode, null, h(ChannelSocketProvider, { options: { url: 'http://127.0.0.1:1/chsk' } }, h(Probe))));
  expect(html).toBe('<span>closed</span>');
  expect(seen.state).toMatchObject({ status: 'closed', open: false, clientId: '' });
  const c = seen.client!;
  expect(c.state$.value.clientId).toBe(''); // a real client has an id from the first moment
  expect(await lastValueFrom(c.events$.pipe(toArray()))).toEqual([]);
  expect(await lastValueFrom(c.send(['x/y', null]).pipe(toArray()))).toEqual([]);
});
