import { firstValueFrom } from 'rxjs';
import { msgpackPacker } from '../../src/packers/msgpack';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { startServer, waitFor } from '../support/harness';

// Node 22 and later have a global WebSocket (undici's): a client given none uses it, as in a browser. CI runs
// this suite on Node 22 and 24 (.ci/run); on older Node it is skipped (see the Node 20 test below).
const hasGlobal = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
const major = Number(process.versions.node.split('.')[0]);

(hasGlobal ? describe : describe.skip).each([jsonPacker, msgpackPacker])('the global WebSocket (%#: packer)', (packer) => {
  test.each(['ws', 'auto'] as const)("type '%s' with no WebSocket option connects over WebSocket, replies and pushes arrive", async (type) => {
    const s = await startServer({ packer });
    try {
      s.chsk.events$.subscribe((m) => {
        if (m.uid) s.chsk.send(m.uid, ['test/push', { n: 1 }]);
        m.reply?.({ echo: m.data });
      });
      const c = await s.connected({ type, WebSocket: undefined, params: { uid: 'alice' } });
      expect(c.state$.value.type).toBe('ws');
      const pushed = waitFor(c.events$, (e) => e[0] === 'test/push');
      await expect(firstValueFrom(c.send(['test/echo', { bytes: 'é€😀' }]))).resolves.toEqual({ echo: { bytes: 'é€😀' } });
      await expect(pushed).resolves.toEqual(['test/push', { n: 1 }]);
    } finally {
      await s.stop();
    }
  });
});

test('Node 22 and later have the global WebSocket this relies on', () => {
  expect(hasGlobal).toBe(major >= 22);
});
