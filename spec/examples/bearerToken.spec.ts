import { firstValueFrom } from 'rxjs';
import type { ChskRequest } from '../../src/protocol/events';
import { presentedCsrfToken } from '../../src/server';
import { startServer, waitFor } from '../support/harness';

// docs/authentication.md, "Without cookies": a bearer token goes through the handshake in the client's
// `csrfToken` (a header on Ajax, a subprotocol entry on WebSocket, never the URL), and the server's hooks verify
// it with `presentedCsrfToken(req)`. The doc's code, run over each transport.
const tokens = new Map([['t0k3n-for-alice', 'alice']]); // stands in for verifying a JWT
const verify = (token: string | undefined): string | null => (token ? tokens.get(token) ?? null : null);
const serverOptions = {
  authorize: (req: ChskRequest) => verify(presentedCsrfToken(req)) !== null,
  userId: (req: ChskRequest) => verify(presentedCsrfToken(req)),
};

describe.each(['ws', 'ajax', 'auto'] as const)('a bearer token through the handshake (%s)', (type) => {
  test('a valid token is the connection uid; requests carry it', async () => {
    const s = await startServer(serverOptions);
    try {
      s.chsk.events$.subscribe((m) => m.reply?.({ uid: m.uid }));
      let reads = 0;
      const c = await s.connected({ type, csrfToken: () => (reads++, 't0k3n-for-alice') });
      expect(c.state$.value.uid).toBe('alice');
      expect(reads).toBeGreaterThan(0); // read at each connect, so a refreshed token is used on the next one
      await expect(firstValueFrom(c.send(['test/who', null]))).resolves.toEqual({ uid: 'alice' });
    } finally {
      await s.stop();
    }
  });

  test('a wrong token is refused: the client never opens', async () => {
    const s = await startServer(serverOptions);
    try {
      const c = s.client({ type, csrfToken: 'forged' });
      const st = await waitFor(c.state$, (x) => x.reconnectAttempt >= 1);
      expect(st.everOpened).toBe(false);
      expect(st.uid).toBeNull();
    } finally {
      await s.stop();
    }
  });
});
