import type { SchedulerLike } from 'rxjs';
import type { ServerErrorReport } from '../ServerErrorReport';

/** A refusal: the HTTP status and the `{ code, message }` JSON body to answer with. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** A fresh connection token: `<selector>.<secret>`. */
export interface IssuedToken {
  readonly selector: string;
  readonly secret: string;
  readonly token: string;
}

/**
 * What an Ajax answer is written to: a real `ServerResponse`, or one relayed to the node where the request
 * arrived (see {@link AjaxDirectory.forward}). Only the members the Ajax binding uses.
 */
export interface AjaxResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  setHeader(name: string, value: string | number): unknown;
  end(body?: string | Buffer): unknown;
  /** 'close': the request went away (or was answered). */
  once(event: 'close', listener: () => void): unknown;
}

/**
 * One request on an Ajax connection, as the node that received it hands it to the connection's home node once
 * it has done the HTTP checks (origin, CSRF, client id, the token's signature; for a POST the content type,
 * body limits and deadline). `ack` is the raw `x-chsk-ack` header (undefined when absent).
 */
export type AjaxOp =
  | { readonly op: 'poll'; readonly selector: string; readonly cid: string; readonly ack: string | undefined }
  | { readonly op: 'post'; readonly selector: string; readonly cid: string; readonly ack: string | undefined; readonly body: Uint8Array }
  | { readonly op: 'delete'; readonly selector: string; readonly cid: string };

/** Where a token's connection lives: here (look it up in the registry), on another node, or a refusal. */
export type AjaxLocation =
  | { readonly ok: true; readonly home: undefined }
  | { readonly ok: true; readonly home: string; readonly selector: string }
  | ({ readonly ok: false } & Refusal);

/** A cluster directory's relay counters (`stats$.adapter.ajaxRelay`): totals since start, and `waiting` now. */
export interface AjaxRelayStats {
  /** Requests this node relayed to their connection's node. */
  readonly relayed: number;
  /** Requests other nodes relayed to this node. */
  readonly served: number;
  /** Relayed requests waiting for their answer now (held polls among them). */
  readonly waiting: number;
  /** Relayed requests whose node was gone (answered 410, or given up: it stopped listening). */
  readonly gone: number;
  /** Relayed requests that could not be sent or were never answered (503 CHSK_ADAPTER_ERROR, or a poll's 204). */
  readonly failed: number;
}

/** What the Ajax binding gives its directory. */
export interface AjaxDirectoryHost {
  readonly scheduler: SchedulerLike;
  /** How long a held poll may wait on its home node (`longPollTimeoutMs`). */
  readonly longPollTimeoutMs: number;
  /** Runs an operation relayed from another node on a connection of this node, answering `res`. */
  execute(op: AjaxOp, res: AjaxResponse): void;
  report(r: ServerErrorReport): void;
}

/**
 * The adapter service that says where Ajax connections live (PROTOCOL.md, "Several nodes: no sticky
 * sessions"). A connection stays on the node that made it; its tokens are issued here, and a request that
 * lands on another node is checked there and relayed to it. `LocalAjaxDirectory` is one process (today's
 * behaviour: random tokens, every connection local); `sente-rx/redis` signs tokens with a cluster key and
 * relays over pub/sub. Calls answer synchronously when they can (the one-process path never waits).
 */
export interface AjaxDirectory {
  /** Binds the directory to this node's Ajax binding; called once, before any other call. */
  start(host: AjaxDirectoryHost): void;
  /** A fresh token for a connection of client `cid` opening on this node. */
  issue(cid: string): IssuedToken | Promise<IssuedToken>;
  /**
   * Where the connection `token` names lives, checking what can be checked without it: `home: undefined` =
   * this node (the registry checks the rest), else the node to relay to. Missing or malformed token: 401.
   */
  locate(token: string | undefined, cid: string): AjaxLocation | Promise<AjaxLocation>;
  /** Relays `op` to node `home` and answers `res` with that node's answer, or a refusal when it is gone. */
  forward(home: string, op: AjaxOp, res: AjaxResponse): void;
  /** Answers relayed requests still waiting (503) and stops listening. */
  close(): void | Promise<void>;
}
