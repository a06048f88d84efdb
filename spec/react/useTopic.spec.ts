/**
 * @jest-environment ./spec/support/jsdomNodeEnvironment.cjs
 */
import { act, render, waitFor as rtlWaitFor } from '@testing-library/react';
import { createElement as h, StrictMode, useState, type ReactNode } from 'react';
import { asyncScheduler } from 'rxjs';
import WebSocket from 'ws';
import { ChannelSocketProvider, createChannelSocketHooks, useChannelState, useTopic } from '../../src/react';
import { startServer, type TestServer } from '../support/harness';

// useTopic in jsdom under StrictMode against a real server. Joins are counted where they happen: the server's
// authorizeTopic calls, and its topicUids$.
type Room = { 'room/msg': { data: { n: number } } };

let server: TestServer<Room>;
/** Every join the server was asked about: [topic, params]. */
let joins: Array<[string, unknown]> = [];
let members = new Map<string, ReadonlySet<string>>();
beforeEach(async () => {
  joins = [];
  members = new Map();
  server = await startServer<Room>({
    authorizeTopic: (_req, _uid, topic, params) => (joins.push([topic, params]), topic.startsWith('room/')),
  });
});
afterEach(() => server.stop());

const within = { timeout: 5000 };
const watch = (topic: string) => server.chsk.topicUids$(topic).subscribe((u) => members.set(topic, u));
/** Waits until the server lists `uids` (exactly) in `topic`. */
const membersOf = (topic: string, uids: string[]) => rtlWaitFor(() => expect([...(members.get(topic) ?? [])].sort()).toEqual(uids), within);

/**
 * The provider connects first; `children` mount once the status is open (a button), so each join goes out on an
 * open link at the moment the component mounts: StrictMode's mount → unmount → mount would show as two joins.
 */
function App({ children }: { children: ReactNode }) {
  const [on, setOn] = useState(false);
  const { status } = useChannelState();
  return h('div', null, h('span', { 'data-testid': 'status' }, status), h('button', { onClick: () => setOn((x) => !x) }, 'toggle'), on ? children : null);
}
const page = (children: ReactNode) =>
  render(h(StrictMode, null, h(ChannelSocketProvider, { options: { url: `${server.url}?uid=u1`, WebSocket, type: 'ws' } }, h(App, null, children))));
async function openThenToggle(view: ReturnType<typeof page>): Promise<void> {
  await rtlWaitFor(() => expect(view.getByTestId('status').textContent).toBe('open'), within);
  act(() => view.getByText('toggle').click());
}
/** One tick of the scheduler the deferred leave runs on, queued after it. */
const tick = () => act(() => new Promise<void>((r) => asyncScheduler.schedule(() => r())));

test('StrictMode: mounting joins once (one authorizeTopic call), events reach the handler once each, unmounting leaves', async () => {
  watch('room/1');
  const seen: number[] = [];
  function Lines() {
    useTopic<Room, 'room/msg'>('room/1', ([, d]) => seen.push(d.n));
    return null;
  }
  const view = page(h(Lines));
  await openThenToggle(view);
  await membersOf('room/1', ['u1']);
  await tick();
  expect(joins).toEqual([['room/1', undefined]]);
  act(() => {
    server.chsk.publish('room/1', ['room/msg', { n: 1 }]);
    server.chsk.publish('room/1', ['room/msg', { n: 2 }]);
  });
  await rtlWaitFor(() => expect(seen).toEqual([1, 2]), within);

  act(() => view.getByText('toggle').click()); // unmounted for good: the leave goes out a tick later
  await membersOf('room/1', []);
  expect(joins).toHaveLength(1);
  expect(view.getByTestId('status').textContent).toBe('open'); // the connection stays
  view.unmount();
});

test('components holding the same topic share one join; the state form keeps the latest event', async () => {
  watch('room/2');
  const { useTopic: typed } = createChannelSocketHooks<Room>();
  function Last({ id }: { id: string }) {
    const { last } = typed('room/2', { v: 1 });
    return h('i', { 'data-testid': id }, last ? `${last[0]}:${last[1].n}` : '-');
  }
  const view = page(h('div', null, h(Last, { id: 'a' }), h(Last, { id: 'b' })));
  await openThenToggle(view);
  await membersOf('room/2', ['u1']);
  await tick();
  expect(joins).toEqual([['room/2', { v: 1 }]]);
  act(() => void server.chsk.publish('room/2', ['room/msg', { n: 7 }]));
  await rtlWaitFor(() => expect([view.getByTestId('a').textContent, view.getByTestId('b').textContent]).toEqual(['room/msg:7', 'room/msg:7']), within);
  view.unmount();
  await membersOf('room/2', []);
});

test('new params leave the old membership and join the new one', async () => {
  watch('room/3');
  let setParams: (p: { page: number }) => void = () => undefined;
  function Paged() {
    const [params, set] = useState({ page: 1 });
    setParams = set;
    useTopic('room/3', params, () => undefined);
    return null;
  }
  const view = page(h(Paged));
  await openThenToggle(view);
  await membersOf('room/3', ['u1']);
  act(() => setParams({ page: 1 })); // the same JSON: nothing happens
  act(() => setParams({ page: 2 }));
  await rtlWaitFor(() => expect(joins).toEqual([['room/3', { page: 1 }], ['room/3', { page: 2 }]]), within);
  await tick();
  await membersOf('room/3', ['u1']); // the second membership (the first one's leave does not end it)
  expect(joins).toHaveLength(2);
  view.unmount();
  await membersOf('room/3', []);
});

test('a refused topic errors: TopicRefusedError in `error` and onError; null holds nothing', async () => {
  const errors: string[] = [];
  function Refused() {
    const { error } = useTopic('secret/1', undefined, { onError: (e) => errors.push((e as Error & { code: string }).code) });
    useTopic(null);
    return h('b', { 'data-testid': 'err' }, error ? `${error.name}/${(error as Error & { code: string }).code}` : '-');
  }
  const view = page(h(Refused));
  await openThenToggle(view);
  await rtlWaitFor(() => expect(view.getByTestId('err').textContent).toBe('TopicRefusedError/CHSK_TOPIC_REFUSED'), within);
  expect(errors).toEqual(['CHSK_TOPIC_REFUSED']);
  expect(joins).toEqual([['secret/1', undefined]]);
  view.unmount();
});
