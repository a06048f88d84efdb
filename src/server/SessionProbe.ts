import { ErrorCode } from '../protocol/codes';
import type { ChskRequest } from '../protocol/events';
import type { ServerErrorReport } from './ServerErrorReport';

const hasSession = (req: ChskRequest): boolean => (req as { session?: unknown }).session != null;

/**
 * Notices the most common WebSocket misconfiguration: the app's session middleware runs on its HTTP routes (so
 * Ajax requests have `req.session`) but not on upgrades, which bypass Express (`upgradeMiddleware` forgotten).
 * `userId`, `csrfToken` and `authorize` then see no session on WebSocket only: users are anonymous or refused
 * there, and nothing said why. Warns once per server with `CHSK_UPGRADE_WITHOUT_SESSION` on `errors$`, as
 * soon as both have been seen. Three booleans: no per-request cost beyond a property read.
 */
export class SessionProbe {
  private ajaxHad = false;
  private upgradeLacked = false;
  private warned = false;

  constructor(private readonly report: (r: ServerErrorReport) => void) {}

  /** An Ajax request passed through the app's middleware. */
  ajax(req: ChskRequest): void {
    if (this.ajaxHad || !hasSession(req)) return;
    this.ajaxHad = true;
    this.check();
  }

  /** A WebSocket upgrade, after `upgradeMiddleware` ran. */
  upgrade(req: ChskRequest): void {
    if (this.upgradeLacked || hasSession(req)) return;
    this.upgradeLacked = true;
    this.check();
  }

  private check(): void {
    if (this.warned || !this.ajaxHad || !this.upgradeLacked) return;
    this.warned = true;
    this.report({
      code: ErrorCode.UpgradeWithoutSession,
      message:
        'WebSocket upgrades arrive without req.session while Ajax requests have one: the session middleware does not run on ' +
        'upgrades. Pass it in upgradeMiddleware (createChannelSocketServer({ upgradeMiddleware: [sessionParser] })) so ' +
        'userId, csrfToken and authorize see the session on WebSocket too.',
    });
  }
}
