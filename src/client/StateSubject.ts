import { BehaviorSubject, type Observable } from 'rxjs';
import { ChannelError } from '../errors/ChannelError';
import { ErrorCode } from '../protocol/codes';

/**
 * A `BehaviorSubject` seen from outside: readable (`value`, `getValue()`, `subscribe`, `pipe`) and usable
 * wherever an `Observable` is, but with no `next`, `error` or `complete`, so app code cannot forge or freeze
 * the state every other subscriber sees.
 */
export interface ReadonlyBehaviorSubject<T> extends Observable<T> {
  /** The current value. */
  readonly value: T;
  /** The current value (same as `value`). */
  getValue(): T;
}

function readOnly(what: string): never {
  throw new ChannelError(ErrorCode.BadOption, `state$ is read-only: ${what}() is reserved to the client itself`);
}

/**
 * The client's `state$`: a real `BehaviorSubject` (so `instanceof BehaviorSubject` holds), whose writers throw
 * a `ChannelError` (`CHSK_BAD_OPTION`) when app code calls them at run time. Throwing rather than ignoring
 * makes the mistake visible where it is made. Only the client writes, through `set`.
 */
export class StateSubject<T> extends BehaviorSubject<T> implements ReadonlyBehaviorSubject<T> {
  override next(_value: T): void {
    readOnly('next');
  }
  override error(_err: unknown): void {
    readOnly('error');
  }
  override complete(): void {
    readOnly('complete');
  }
  override unsubscribe(): void {
    readOnly('unsubscribe');
  }
  /** @internal The client's own write. */
  set(value: T): void {
    super.next(value);
  }
}
