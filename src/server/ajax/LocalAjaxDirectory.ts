import { randomBytes } from 'crypto';
import { ErrorCode } from '../../protocol/codes';
import type { AjaxDirectory, AjaxLocation, AjaxOp, AjaxResponse, IssuedToken } from './AjaxDirectory';
import { refuse } from './ajaxHttp';

const HERE: AjaxLocation = { ok: true, home: undefined };

/**
 * One process is the whole cluster: a token is `<selector>.<secret>`, 96 and 192 random bits from the CSPRNG,
 * and every connection is on this node (the registry finds it or refuses the token). The default when the
 * adapter has no `ajax` service.
 */
export class LocalAjaxDirectory implements AjaxDirectory {
  start(): void {}

  issue(): IssuedToken {
    const selector = randomBytes(12).toString('base64url');
    const secret = randomBytes(24).toString('base64url');
    return { selector, secret, token: `${selector}.${secret}` };
  }

  locate(): AjaxLocation {
    return HERE;
  }

  forward(_home: string, _op: AjaxOp, res: AjaxResponse): void {
    refuse(res, { status: 410, code: ErrorCode.BadToken, message: 'unknown or expired connection token: do a new handshake' });
  }

  close(): void {}
}
