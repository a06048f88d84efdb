/**
 * The client's side of per-topic resume, on ClientTopics alone: the position a join keeps (from `ta.rs`, then
 * each `tm.seq`), what a rejoin presents (`tj.o`), what `topicReopened$` says, and the events it drops.
 */
import { ClientTopics, type TopicReopened } from '../../src/client/ClientTopics';
import type { ClientMessage } from '../../src/protocol/messages';

function setup() {
  const written: ClientMessage[] = [];
  let ready = true;
  const t = new ClientTopics({ ready: () => ready, write: (m) => void written.push(m) });
  const got: unknown[] = [];
  const reopens: TopicReopened[] = [];
  t.reopened.subscribe((r) => reopens.push(r));
  t.topic$('room/1').subscribe((e) => got.push(e[1]));
  const reconnect = (): void => {
    ready = false;
    t.down();
    ready = true;
    t.opened();
  };
  const tm = (seq: unknown, n = seq): void => t.event('room/1', ['room/n', n], n, seq);
  return { t, written, got, reopens, reconnect, tm };
}

test('a join keeps its position; a replay that overlaps live events is taken once; a rejoin presents it and says recovered', () => {
  const { t, written, got, reopens, reconnect, tm } = setup();
  expect(written).toEqual([{ t: 'tj', tid: 1, tp: 'room/1' }]);
  t.joined(1, [7, 'ep'], undefined);
  tm(8), tm(9), tm(8), tm(10);
  expect(got).toEqual([8, 9, 10]);
  reconnect();
  expect(written.at(-1)).toEqual({ t: 'tj', tid: 1, tp: 'room/1', o: [10, 'ep'] });
  t.joined(1, [12, 'ep'], { ok: true, n: 2 });
  expect(reopens).toEqual([{ topic: 'room/1', params: undefined, recovered: true, replayed: 2 }]);
  tm(11), tm(12), tm(12), tm(13);
  expect(got).toEqual([8, 9, 10, 11, 12, 13]);
});

test('a rejoin the server cannot replay (ok false, another epoch, a count that does not add up) starts at rs', () => {
  for (const [rs, rc] of [
    [[20, 'ep'], { ok: false, n: 0 }],
    [[3, 'other'], { ok: true, n: 1 }],
    [[20, 'ep'], { ok: true, n: 3 }],
    [[20, 'ep'], undefined],
  ] as const) {
    const { t, got, reopens, reconnect, tm } = setup();
    t.joined(1, [1, 'ep'], undefined);
    tm(2);
    reconnect();
    t.joined(1, rs, rc);
    expect(reopens).toEqual([{ topic: 'room/1', params: undefined, recovered: false, replayed: 0 }]);
    tm(rs[0]); // at the position it starts from: had already (the server would not send it)
    tm(rs[0] + 1);
    expect(got).toEqual([2, rs[0] + 1]);
  }
});

test('untrusted positions read as absent: events without or with a malformed seq are delivered, a rejoin presents nothing', () => {
  const { t, written, got, reconnect, tm } = setup();
  t.joined(1, ['7', 'ep'], undefined);
  tm(undefined, 1), tm(-1, 2), tm(1.5, 3), tm(1, 4);
  expect(got).toEqual([1, 2, 3, 4]);
  reconnect();
  expect(written.at(-1)).toEqual({ t: 'tj', tid: 1, tp: 'room/1' });
});

test('a stream that starts over under a live join (seq 1 again) is taken, and the next rejoin cannot claim recovery', () => {
  const { t, written, got, reconnect, tm } = setup();
  t.joined(1, [5, 'ep'], undefined);
  tm(6), tm(1), tm(2);
  expect(got).toEqual([6, 1, 2]);
  reconnect();
  expect(written.at(-1)).toEqual({ t: 'tj', tid: 1, tp: 'room/1' });
});
