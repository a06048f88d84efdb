import { randomBytes } from 'crypto';
import { ErrorCode } from '../../protocol/codes';
import { tokensEqual } from '../admitRequest';
import type { Refusal } from './ajaxHttp';

/** What the registry needs from a connection it holds. */
export interface TokenHolder {
  readonly clientId: string;
  readonly selector: string;
  readonly secret: string;
}

/** A fresh connection token: `<selector>.<secret>`, both base64url from the CSPRNG. */
export interface IssuedToken {
  readonly selector: string;
  readonly secret: string;
  readonly token: string;
}

/**
 * The Ajax connection tokens of one server. A token is `<selector>.<secret>`: the selector (96 random bits)
 * finds the connection, the secret (192 random bits) proves the caller holds the token and is compared in
 * constant time. Lookups never reveal anything about a secret.
 */
export class AjaxRegistry<C extends TokenHolder> {
  private readonly bySelector = new Map<string, C>();

  /** Draws a new token (does not register anything). */
  issue(): IssuedToken {
    const selector = randomBytes(12).toString('base64url');
    const secret = randomBytes(24).toString('base64url');
    return { selector, secret, token: `${selector}.${secret}` };
  }

  add(conn: C): void {
    this.bySelector.set(conn.selector, conn);
  }

  remove(conn: C): void {
    if (this.bySelector.get(conn.selector) === conn) this.bySelector.delete(conn.selector);
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
