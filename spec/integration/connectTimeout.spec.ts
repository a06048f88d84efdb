import { firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import { createWebSocketClient } from '../../src/client';
import { startServer, waitFor } from '../support/harness';

// A WebSocket upgrade that never gets an answer (a black-holing proxy): `type: 'ws'` gives the attempt up after
// connectTimeoutMs and reconnects with backoff, instead of waiting for the OS's TCP timeout.
describe("type 'ws' connect timeout", () => {
  test('an upgrade that hangs is given up, retried with backoff, and the link opens once upgrades pass', async () => {
    const s = await startServer({}, { upgrades: 'hang' });
    try {
      s.chsk.events$.subscribe((m) => m.id === 'echo/n' && m.reply?.(m.data));
      const c = s.client({ type: 'ws', connectTimeoutMs: 150, backoff: () => 50, keepAlive: false });
      const st = await waitFor(c.state$, (x) => x.lastWsClose?.reason === 'connect timeout' && x.reconnectAttempt >= 1);
      expect(st).toMatchObject({ open: false, lastWsClose: { code: 1006, clean: false }, lastClose: { reason: 'unexpected' } });
      s.setUpgrades('accept');
      await waitFor(c.state$, (x) => x.open);
      await expect(firstValueFrom(c.send(['echo/n', 5]))).resolves.toBe(5);
    } finally {
      await s.stop();
    }
  });

  test('createWebSocketClient has the same guard', async () => {
    const s = await startServer({}, { upgrades: 'hang' });
    const c = createWebSocketClient({ url: s.url, WebSocket, connectTimeoutMs: 100, backoff: () => 50, keepAlive: false });
    try {
      await waitFor(c.state$, (x) => x.lastWsClose?.reason === 'connect timeout');
    } finally {
      c.disconnect();
      await s.stop();
    }
  });
});
