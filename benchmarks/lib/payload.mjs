// The events every library exchanges in the benchmarks: the same ids and the same small JSON payload
// ({ n, text: 'hello world' }), so that a difference in a number is a difference in the library.

export const EV = {
  /** C→S request: the server replies with the data it got. */
  echo: 'bench/echo',
  /** C→S request like `echo`, whose data a Zod schema checks on the sente-rx server (the reqrep-zod row). */
  echoZod: 'bench/echo-zod',
  /** C→S event { n }: the server pushes n `bench/ev` events to the sender. */
  push: 'bench/push',
  /** S→C pushed event. */
  ev: 'bench/ev',
  /** C→S event { n }: the server broadcasts one `bench/fan` event { n } to every client. */
  fanout: 'bench/fanout',
  /** S→C broadcast event. */
  fan: 'bench/fan',
  /** C→S event { n, topics }: the server publishes one `bench/fan` event { n } to each topic `bench/t<i>`, i < topics. */
  topicFanout: 'bench/topic-fanout',
  /** C→S request { topics }: the server replies with how many members topics `bench/t<i>`, i < topics, have. */
  members: 'bench/members',
  /** C→S request { n }: sente-rx streams n payloads back (replyStream); the stream row. */
  stream: 'bench/stream',
};

/** The name of topic (room) `i` in the topic fan-out row. */
export const topicName = (i) => `bench/t${i}`;

export const payload = (n) => ({ n, text: 'hello world' });

/**
 * Pushes n events through `sendOne(i)` in slices of `slice`, yielding to the event loop between slices
 * (setImmediate), the way a real producer would; the same loop drives every library.
 */
export function pushLoop(n, sendOne, slice = 1000) {
  let i = 0;
  const step = () => {
    const end = Math.min(n, i + slice);
    for (; i < end; i++) sendOne(i);
    if (i < n) setImmediate(step);
  };
  step();
}
