import type { DataIssue } from '../schemas/DataIssue';

/**
 * Why a request was refused with `CHSK_REJECTED`, as `errors$` reports it (stable values):
 * - `'origin'`: its `Origin` is not in `allowedOrigins` (default: the request's own host), e.g. a dev proxy with
 *   `changeOrigin`, which rewrites `Host` but not `Origin`;
 * - `'csrf'`: the CSRF token presented is missing or does not match `csrfToken(req)`;
 * - `'no-csrf-token'`: `csrfToken(req)` returned `undefined` or `''` (no session on this request?);
 * - `'unauthorized'`: `authorize(req)` refused.
 * A hook that throws is reported as `CHSK_HOOK_FAILED` instead (the app's bug, with its error).
 */
export type RejectReason = 'origin' | 'csrf' | 'no-csrf-token' | 'unauthorized';

/** A problem the server noticed and survived: bad input from a client, a failure in user code, an adapter fault. */
export interface ServerErrorReport {
  readonly code: string;
  readonly message: string;
  readonly clientId?: string;
  readonly uid?: string | null;
  readonly error?: unknown;
  /** `CHSK_BAD_DATA`: the validator's issues, bounded and safe. */
  readonly issues?: readonly DataIssue[];
  /** Why a request was refused, on `CHSK_REJECTED` reports. */
  readonly reason?: RejectReason;
}
