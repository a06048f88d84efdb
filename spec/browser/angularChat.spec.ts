import { spawn, type ChildProcess } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';

// examples/angular-chat in real Chromium: the built app (zone.js, standalone component, signals) served with
// server rendering by one Express server that also carries the channel socket. Server rendering answers 200
// with the inert binding's markup; in the browser the app becomes stable with its socket open, each page opens
// one WebSocket, and two pages chat. .ci/run installs and builds the example (examples/angular-chat).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = join(__dirname, '..', '..');
const serverEntry = join(root, 'examples/angular-chat/dist/angular-chat/server/server.mjs');
const ready = existsSync(CHROMIUM) && existsSync(serverEntry);
if (!ready && process.env.CI === 'true') throw new Error(`browser tests need ${CHROMIUM} and the built example (${serverEntry})`);
if (!ready) console.warn('skipping the Angular example: build it (cd examples/angular-chat && npm install && npm run build)');
const maybe = ready ? describe : describe.skip;

maybe('examples/angular-chat in Chromium', () => {
  let browser: Browser;
  let proc: ChildProcess;
  let base: string;

  beforeAll(async () => {
    proc = spawn(process.execPath, [serverEntry], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /on (http:\/\/[^/\s]+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`example exited with ${code}: ${out}`)));
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    proc?.kill();
  });

  test('server rendering answers 200 with the inert binding (status closed), no socket from the server', async () => {
    const res = await fetch(`${base}/?name=ssr`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<span id="status" class="[^"]*\bclosed\b[^"]*">closed<\/span>/);
  });

  async function open(name: string): Promise<{ page: Page; sockets: () => number; errors: string[] }> {
    const page = await browser.newPage();
    let sockets = 0;
    const errors: string[] = [];
    page.on('websocket', (ws) => ws.url().includes('/chsk') && sockets++);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${base}/?name=${name}`);
    await page.waitForSelector('#status.open', { timeout: 30_000 });
    return { page, sockets: () => sockets, errors };
  }

  test('hydrated, the app becomes stable with its socket open; two pages chat, one WebSocket each', async () => {
    const alice = await open('alice');
    // whenStable() resolved although the socket, its keep-alive and its timers are live (outside the zone).
    await alice.page.waitForSelector('body[data-stable="true"]', { timeout: 10_000 });
    const bob = await open('bob');
    await alice.page.fill('#text', 'hello bob');
    await alice.page.click('button');
    await bob.page.waitForSelector('#log li:has-text("alicehello bob")');
    await bob.page.fill('#text', 'hi alice');
    await bob.page.click('button');
    await alice.page.waitForSelector('#log li:has-text("bobhi alice")');
    expect([alice.sockets(), bob.sockets()]).toEqual([1, 1]);
    expect([...alice.errors, ...bob.errors]).toEqual([]);
    await Promise.all([alice.page.close(), bob.page.close()]);
  }, 90_000);
});
