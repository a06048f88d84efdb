import { spawn, type ChildProcess } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';

// examples/react-chat in real Chromium, on its one-command dev server (Vite in middleware mode + the channel
// socket on one Express server; StrictMode on, React's development build): two pages chat, each page opens
// exactly one channel WebSocket, and a server restart shows 'reconnecting' and then 'open' again.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = join(__dirname, '..', '..');
const ready = existsSync(CHROMIUM) && existsSync(join(root, 'dist', 'esm', 'react.mjs'));
if (!ready && process.env.CI === 'true') throw new Error(`browser tests need ${CHROMIUM} and a build (npm run build)`);
const maybe = ready ? describe : describe.skip;

/** Starts the example's server; resolves with its base URL once it listens. */
function startExample(port = 0): Promise<{ proc: ChildProcess; base: string }> {
  const proc = spawn(process.execPath, [join(root, 'examples/react-chat/server.mjs')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/[^/\s]+)/.exec(out);
      if (m) resolve({ proc, base: m[1]! });
    });
    proc.once('exit', (code) => reject(new Error(`example exited with ${code}: ${out}`)));
  });
}
const stop = (proc: ChildProcess) => new Promise<void>((r) => (proc.exitCode !== null ? r() : (proc.once('exit', () => r()), proc.kill())));

maybe('examples/react-chat in Chromium', () => {
  let browser: Browser;
  let server: { proc: ChildProcess; base: string };

  beforeAll(async () => {
    server = await startExample();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (server) await stop(server.proc);
  });

  /** A page logged in as `name`, counting the channel WebSockets it opens and the errors it logs. */
  async function open(name: string): Promise<{ page: Page; sockets: () => number; errors: string[] }> {
    const page = await browser.newPage();
    let sockets = 0;
    const errors: string[] = [];
    page.on('websocket', (ws) => ws.url().includes('/chsk') && sockets++);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${server.base}/?name=${name}`);
    await page.waitForSelector('#status.open', { timeout: 30_000 });
    return { page, sockets: () => sockets, errors };
  }

  test('two pages chat; StrictMode and the dev server open exactly one WebSocket per page', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    await alice.page.fill('#text', 'hello bob');
    await alice.page.click('button');
    await bob.page.waitForSelector('#log li:has-text("alicehello bob")');
    await bob.page.fill('#text', 'hi alice');
    await bob.page.click('button');
    await alice.page.waitForSelector('#log li:has-text("bobhi alice")');
    // Both pages have been open through a round trip each: a second socket would have opened at mount.
    expect([alice.sockets(), bob.sockets()]).toEqual([1, 1]);
    expect([...alice.errors, ...bob.errors]).toEqual([]);
    // A page that comes later gets the history through useRequest.
    const carol = await open('carol');
    await carol.page.waitForSelector('#log li:has-text("bobhi alice")');
    expect(carol.sockets()).toBe(1);
    await Promise.all([alice.page.close(), bob.page.close(), carol.page.close()]);
  }, 90_000);

  test('the server restarts: the page shows reconnecting, then open, and chats again', async () => {
    const dave = await open('dave');
    const port = Number(new URL(server.base).port);
    await stop(server.proc);
    await dave.page.waitForSelector('#status.reconnecting', { timeout: 10_000 });
    server = await startExample(port);
    await dave.page.waitForSelector('#status.open', { timeout: 15_000 });
    await dave.page.fill('#text', 'back again');
    await dave.page.click('button');
    await dave.page.waitForSelector('#log li:has-text("daveback again")');
    await dave.page.close();
  }, 90_000);
});
