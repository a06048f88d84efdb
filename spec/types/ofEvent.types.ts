// Type-level tests for ofEvent: compiled by `tsc --noEmit`, never run. Every `@ts-expect-error` must be needed,
// so a narrowing that silently widens (or collapses to never) breaks the build.
import { Observable, of } from 'rxjs';
import { ofEvent } from '../../src/operators/ofEvent';
import type { IdOf, NarrowById } from '../../src/operators/ofEvent';

type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

// --- Event tuples: a discriminated union on element 0 ---
type Ev = ['chat/msg', { text: string }] | ['chat/typing', { who: string }];
declare const events$: Observable<Ev>;

events$.pipe(ofEvent('chat/msg')).subscribe(([id, data]) => {
  const text: string = data.text;
  const exact: 'chat/msg' = id;
  // @ts-expect-error `who` belongs to 'chat/typing', which was filtered out
  data.who;
  void text;
  void exact;
});

events$.pipe(ofEvent('chat/typing')).subscribe(([, data]) => {
  const who: string = data.who;
  // @ts-expect-error `text` belongs to 'chat/msg'
  data.text;
  void who;
});

// Several ids give the union of their members.
const both$ = events$.pipe(ofEvent('chat/msg', 'chat/typing'));
assertType<Equals<typeof both$, Observable<Ev>>>();

// @ts-expect-error 'chat/nope' is not an id of Ev
events$.pipe(ofEvent('chat/nope'));

// --- Message objects with an `id` property ---
type Msg = { id: 'a'; data: number } | { id: 'b'; data: string };
declare const msgs$: Observable<Msg>;

msgs$.pipe(ofEvent('a')).subscribe((msg) => {
  const n: number = msg.data;
  // @ts-expect-error data is a number for id 'a'
  const s: string = msg.data;
  void n;
  void s;
});
assertType<Equals<NarrowById<Msg, 'b'>, { id: 'b'; data: string }>>();
assertType<Equals<IdOf<Msg>, 'a' | 'b'>>();

// --- Server-style messages: { event, id, data, uid } discriminated by id ---
type ServerMsg =
  | { event: ['chat/msg', { text: string }]; id: 'chat/msg'; data: { text: string }; uid: string | null }
  | { event: ['chat/typing', { who: string }]; id: 'chat/typing'; data: { who: string }; uid: string | null };
declare const server$: Observable<ServerMsg>;
server$.pipe(ofEvent('chat/msg')).subscribe(({ data, event }) => {
  const text: string = data.text;
  const fromTuple: string = event[1].text;
  // @ts-expect-error narrowed away
  data.who;
  void text;
  void fromTuple;
});

// --- Wide ids (`string`) are narrowed to the requested literal instead of collapsing to never ---
declare const wide$: Observable<{ readonly id: string; data: unknown }>;
wide$.pipe(ofEvent('x', 'y')).subscribe((msg) => {
  const id: 'x' | 'y' = msg.id;
  void id;
});
declare const wideTuples$: Observable<readonly [string, unknown]>;
wideTuples$.pipe(ofEvent('x')).subscribe(([id]) => {
  const exact: 'x' = id;
  void exact;
});

// --- Works with an inline source and with a standalone pipe argument ---
of<Ev[]>(['chat/msg', { text: 'hi' }]).pipe(ofEvent('chat/msg')).subscribe(([, d]) => d.text);
