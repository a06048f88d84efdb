import type { EventMessage, RequestMessage } from '../protocol/messages';

/** One send waiting in the offline buffer or in flight. */
export interface Outgoing {
  readonly msg: EventMessage | RequestMessage;
  /** An event: the server acknowledged it (`a` with its `mid`). */
  ack?(): void;
  reply?(value: unknown): void;
  fail(error: Error): void;
  /** A streamed reply: one item (`si`). */
  item?(value: unknown): void;
  /** A streamed reply: its end (`se`). */
  end?(): void;
  /** A streamed reply: the error it fails with when the link drops while it is in flight. */
  cut?(reason: string): Error;
}
