/**
 * @internal The message a server handler is being handed right now, so that `ofEvent` can tell the handler's
 * runner whether the handler took it (runHandler answers the requests a failed handler had in hand, and a
 * request its `ofEvent` let pass by belongs to another handler). Module state, no I/O: safe in the browser
 * bundle, and `current` is only set for the synchronous duration of one delivery.
 */
export interface HandlerDelivery {
  /** The message being delivered. */
  readonly value: unknown;
  /** An `ofEvent` in the handler's pipeline let `value` through (`true`) or filtered it out (`false`). */
  saw(accepted: boolean): void;
}

/** @internal */
export const handlerDelivery: { current: HandlerDelivery | undefined } = { current: undefined };
