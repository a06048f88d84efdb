import { ErrorCode } from '../../protocol/codes';
import { tokensEqual } from '../admitRequest';
import type { Refusal } from './ajaxHttp';

/** What the registry needs from a connection it holds. */
export interface TokenHolder {
  readonly clientId: string;
  readonly selector: string;
  readonly secret: string;
}

/**
 * The Ajax connections of this node by token. A token is `<selector>.<secret>` (issued by the adapter's
 * `AjaxDirectory`): the selector finds the connection, the secret proves the caller holds the token and is
 * compared in constant time. Lookups never reveal anything about a secret.
 */
export class AjaxRegistry<C extends TokenHolder> {
  private readonly bySelector = new Map<string, C>();

  add(conn: C): void {
    this.bySelector.set(conn.selector, conn);
  }

  remove(conn: C): void {
    if (this.bySelector.get(conn.selector) === conn) this.bySelector.delete(conn.selector);
  }

  /** The connection with this selector (a request relayed from another node was checked there). */
  get(selector: string): C | undefined {
    return this.bySelector.get(selector);
  }

  get size(): number {
    return this.bySelector.size;
  }

  all(): C[] {
    return [...this.bySelector.values()];
  }

  /**
   * Finds the connection a request speaks for. Missing or malformed token: 401. Unknown or expired: 410.
   * A token whose secret does not match, or that belongs to another client id: 403.
   */
  find(token: string | undefined, clientId: string): { readonly ok: true; readonly conn: C } | ({ readonly ok: false } & Refusal) {
    if (token === undefined || token.length === 0) {
      return { ok: false, status: 401, code: ErrorCode.BadToken, message: 'missing connection token (x-chsk-token): do the handshake first' };
    }
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 256) {
      return { ok: false, status: 401, code: ErrorCode.BadToken, message: 'malformed connection token' };
    }
    const conn = this.bySelector.get(token.slice(0, dot));
    if (!conn) {
      return { ok: false, status: 410, code: ErrorCode.BadToken, message: 'unknown or expired connection token: do a new handshake' };
    }
    if (!tokensEqual(token.slice(dot + 1), conn.secret) || conn.clientId !== clientId) {
      return { ok: false, status: 403, code: ErrorCode.BadToken, message: 'the connection token does not belong to this client' };
    }
    return { ok: true, conn };
  }
}
