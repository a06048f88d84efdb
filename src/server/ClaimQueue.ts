import type { ClientSendMessage } from '../protocol/messages';
import type { DedupeVerdict } from './adapter/Dedupe';

/** One message waiting for its claim's verdict, in a connection's arrival order. */
export interface Claim {
  readonly m: ClientSendMessage;
  /** Its data as the `schemas` check left it. */
  readonly data: unknown;
  /** The verdict, once the store answered. */
  verdict: DedupeVerdict | undefined;
  /** The store's answer while it is awaited. */
  readonly pending: Promise<DedupeVerdict> | undefined;
}

/**
 * A connection's messages waiting for the dedupe store (one that answers with a Promise: Redis), in arrival
 * order; see `DedupeGate`. Absent while every claim was answered at once.
 */
export interface ClaimQueue {
  readonly items: Claim[];
  /** Resolves once the queue is empty (an Ajax POST answer waits for it, to carry the replies). */
  readonly idle: Promise<void>;
  /** Resolves `idle`. */
  readonly done: () => void;
}
