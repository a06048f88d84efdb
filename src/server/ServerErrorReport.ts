import type { DataIssue } from '../schemas/DataIssue';

/** A problem the server noticed and survived: bad input from a client, a failure in user code, an adapter fault. */
export interface ServerErrorReport {
  readonly code: string;
  readonly message: string;
  readonly clientId?: string;
  readonly uid?: string | null;
  readonly error?: unknown;
  /** `CHSK_BAD_DATA`: the validator's issues, bounded and safe. */
  readonly issues?: readonly DataIssue[];
}
