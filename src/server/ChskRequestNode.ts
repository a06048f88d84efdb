import type { IncomingMessage } from 'http';

// Where `ChskRequest` (src/protocol/events.ts) becomes Node's `IncomingMessage`: the server's declarations bring
// the Node types, the client's never do.
declare module '../protocol/events' {
  interface ChskRequest extends IncomingMessage {}
}

/** Node's request type, which every `ChskRequest` on the server extends. */
export type NodeRequest = IncomingMessage;
