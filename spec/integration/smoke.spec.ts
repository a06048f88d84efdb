import { startServer, waitFor } from '../support/harness';
import { firstValueFrom } from 'rxjs';

test('smoke: handshake and request/reply', async () => {
  const s = await startServer();
  s.chsk.events$.subscribe((m) => m.reply?.({ echo: m.data }));
  const c = await s.connected({ params: { uid: 'alice' } });
  expect(c.state$.value.uid).toBe('alice');
  await expect(firstValueFrom(c.send(['test/echo', 42]))).resolves.toEqual({ echo: 42 });
  await s.stop();
});
