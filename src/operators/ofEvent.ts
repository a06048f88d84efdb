import { OperatorFunction, filter } from 'rxjs';
import { handlerDelivery } from './handlerDelivery';

/** What {@link ofEvent} accepts: an event tuple `[id, data]`, or a message object with an `id`. */
export type EventLike = readonly [string, unknown] | { readonly id: string };

/** The union of event ids carried by `T` (a union of event tuples and/or messages with an `id`). */
export type IdOf<T> = T extends readonly [infer K extends string, unknown]
  ? K
  : T extends { readonly id: infer K extends string }
    ? K
    : never;

/**
 * The members of `T` whose id is one of `K`. A member whose id is a wide type (such as `string`) that admits
 * one of `K` is kept with its id narrowed to that literal, so plain `{ id: string }` messages narrow too.
 */
export type NarrowById<T, K extends string> = T extends readonly [infer I extends string, infer D]
  ? I extends K
    ? T
    : NarrowWide<K, I, T extends unknown[] ? [K, D] : readonly [K, D]>
  : T extends { readonly id: infer I extends string }
    ? I extends K
      ? T
      : NarrowWide<K, I, T & { readonly id: K }>
    : never;

// Distributes over K: keeps `Narrowed` when the wide id I admits at least one literal of K.
type NarrowWide<K extends string, I extends string, Narrowed> = K extends I ? Narrowed : never;

/**
 * Filters events or event messages by id, narrowing their type to the matching members of the union.
 *
 * ```
 * ofEvent('chat/msg')
 * source: --a--b--c--a--|   a = ['chat/msg', { text }], b = ['chat/typing', { who }], c = ['chat/msg', { text }]
 * result: --a-----c--a--|
 * ```
 *
 * Works on event tuples `[id, data]` (element 0 is the id) and on message objects with an `id` property, such
 * as the server's event messages `{ event, id, data, uid, ... }`. Values of neither shape are dropped.
 *
 * ## Example
 *
 * ```ts
 * import { of } from 'rxjs';
 * import { ofEvent } from 'sente-rx';
 *
 * type Ev = ['chat/msg', { text: string }] | ['chat/typing', { who: string }];
 * const events$ = of<Ev[]>(['chat/typing', { who: 'ann' }], ['chat/msg', { text: 'hi' }]);
 * events$.pipe(ofEvent('chat/msg')).subscribe(([, data]) => console.log(data.text)); // hi
 * ```
 *
 * @param ids The event ids to let through: at least one.
 * @return A function that returns an Observable of the source values whose id is one of `ids`, with the type
 * narrowed accordingly.
 */
export function ofEvent<T extends EventLike, K extends IdOf<T>>(...ids: K[]): OperatorFunction<T, NarrowById<T, K>> {
  if (ids.length === 0) throw new RangeError('ofEvent: pass at least one event id, e.g. ofEvent("chat/msg")');
  for (const id of ids) {
    if (typeof id !== 'string') throw new TypeError(`ofEvent: event ids must be strings, got ${typeof id}`);
  }
  // One id: a comparison; several: a Set, so long id lists stay O(1) per value.
  const [first] = ids;
  const set = ids.length > 1 ? new Set<string>(ids) : null;
  const matches = (id: unknown): boolean => (set ? typeof id === 'string' && set.has(id) : id === first);

  const isMatch = (value: T): boolean => {
    const yes = Array.isArray(value)
      ? matches(value[0])
      : typeof value === 'object' && value !== null && matches((value as { readonly id?: unknown }).id);
    // Inside a server handler: tell its runner whether this handler takes the request (see runHandler).
    const d = handlerDelivery.current;
    if (d !== undefined && d.value === value) d.saw(yes);
    return yes;
  };
  // TypeScript cannot relate a conditional type over a generic T to T itself, so the narrowing that `isMatch`
  // performs at run time is stated here once; the type tests in spec/types check it from the outside.
  return filter(isMatch) as OperatorFunction<T, NarrowById<T, K>>;
}
