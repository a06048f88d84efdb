import type { Refused } from './admitRequest';
import type { ServerErrorReport } from './ServerErrorReport';

/**
 * Reports a `CHSK_REJECTED` refusal (one with a `reason`) on `errors$`: the client only learns the status and a
 * short body, so without this a misconfiguration (a dev proxy's `changeOrigin`, a session middleware that does
 * not run on upgrades) is silent on the server. Other refusals (tokens, limits, a closing server) are the
 * protocol working as designed and are not reported.
 */
export function reportRefusal(report: (r: ServerErrorReport) => void, r: Refused, what: string, clientId?: string): void {
  if (r.reason === undefined) return;
  report({
    code: r.code,
    reason: r.reason,
    message: `${what} refused with ${r.status} (${r.reason}): ${r.detail ?? r.body}`,
    ...(clientId !== undefined ? { clientId } : {}),
  });
}
