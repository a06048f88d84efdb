import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { firstValueFrom } from 'rxjs';
import { httpFetch } from '../../src/node';
import { msgpackPacker } from '../../src/packers/msgpack';
import { startServer } from '../support/harness';

describe('httpFetch', () => {
  let http: Server;
  let base: string;
  const f = httpFetch({ headers: { cookie: 'sid=abc' } });
  beforeAll(async () => {
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/none') return void ((res.statusCode = 204), res.end());
        if (req.url === '/hang') return; // never answered
        res.setHeader('x-echo-method', req.method ?? '');
        res.setHeader('x-echo-cookie', req.headers.cookie ?? '');
        res.setHeader('x-echo-type', req.headers['content-type'] ?? '');
        res.setHeader('x-many', ['a', 'b']);
        res.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => (http.closeAllConnections(), http.close(() => r()))));

  test('POSTs a text body and reads the answer, its status and headers (case-insensitive, repeated ones joined)', async () => {
    const r = await f(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'héllo' });
    expect(r.status).toBe(200);
    await expect(r.text()).resolves.toBe('héllo');
    expect(r.headers.get('X-Echo-Method')).toBe('POST');
    expect(r.headers.get('x-echo-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('x-echo-cookie')).toBe('sid=abc');
    expect(r.headers.get('x-many')).toBe('a, b');
    expect(r.headers.get('x-absent')).toBeNull();
  });

  test('sends bytes and reads bytes back exactly (a view into a larger buffer included)', async () => {
    const big = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    const view = big.subarray(10, 266);
    const r = await f(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: view });
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(view);
  });

  test('a 204 has an empty body', async () => {
    const r = await f(`${base}/none`, { method: 'GET', headers: {} });
    expect(r.status).toBe(204);
    await expect(r.text()).resolves.toBe('');
  });

  test('an abort rejects with an AbortError, before or during the request', async () => {
    const pre = new AbortController();
    pre.abort();
    await expect(f(`${base}/echo`, { method: 'GET', headers: {}, signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const ac = new AbortController();
    const pending = f(`${base}/hang`, { method: 'GET', headers: {}, signal: ac.signal });
    ac.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('a refused connection rejects with the network error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(f(`http://127.0.0.1:${port}/`, { method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe.each([undefined, msgpackPacker])('the Ajax client on httpFetch (packer %#)', (packer) => {
  test('handshakes, gets replies and pushes', async () => {
    const s = await startServer<Record<string, { data: unknown; reply: unknown }>>({ ajaxBatchMs: 0, ...(packer ? { packer } : {}) }, { client: { type: 'ajax' } });
    try {
      s.chsk.events$.subscribe((m) => m.reply?.({ echo: m.data }));
      const c = await s.connected({ fetch: httpFetch(), params: { uid: 'node' } });
      await expect(firstValueFrom(c.send(['x/echo', 'é€']))).resolves.toEqual({ echo: 'é€' });
      const pushed = firstValueFrom(c.events$);
      s.chsk.send('node', ['x/push', [1, 2]]);
      await expect(pushed).resolves.toEqual(['x/push', [1, 2]]);
    } finally {
      await s.stop();
    }
  });
});
