import { spawn, type ChildProcess } from 'child_process';
import { existsSync, mkdirSync } from 'fs';
import { join } from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';

// The playground (chat demo) in real Chromium: two tabs of one user both receive that user's pushes, another
// user does not, state$ is live on the page, and each of the playground's buttons does what it says. With
// UPDATE_SCREENSHOT=1 the playground test also writes docs/playground.png (README shows it); CI leaves it alone. Needs Debian's chromium and a build (CI installs and builds both).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = join(__dirname, '..', '..');
const ready = existsSync(CHROMIUM) && existsSync(join(root, 'dist', 'browser', 'sente-rx.min.js'));
if (!ready && process.env.CI === 'true') {
  throw new Error(`browser tests need ${CHROMIUM} and a build (npm run build); CI must provide both`);
}
if (!ready) console.warn(`skipping browser tests: ${CHROMIUM} or dist/ missing (run npm run build; apt-get install chromium)`);
const maybe = ready ? describe : describe.skip;

/** Starts `npm start`'s server on `port` ('0': any free one); resolves once it prints its URL. */
function spawnDemo(port: string): Promise<{ demo: ChildProcess; url: string }> {
  const demo = spawn(process.execPath, [join(root, 'examples/chat/start.mjs')], { env: { ...process.env, PORT: port }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    demo.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ demo, url: m[1]! });
    });
    demo.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${out}`)));
  });
}

/** What a person would see in the page's console: errors, and every HTTP answer >= 400 (a 404 favicon, say). */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  return problems;
}

maybe('chat demo in Chromium', () => {
  let demo: ChildProcess;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    ({ demo, url } = await spawnDemo('0'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    demo?.kill();
  });

  const login = async (page: Page, name: string) => {
    await page.goto(url);
    await page.fill('input[name=name]', name);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button')]);
  };
  // The connection card carries state$'s open flag and uid (as shown: '' when not logged in) as data attributes.
  const openAs = (page: Page, uid: string) =>
    page.waitForFunction((u) => {
      const s = document.getElementById('state')!.dataset;
      return s.open === 'true' && s.uid === u;
    }, uid);

  test('two tabs of one user both receive that user pushes; another user does not', async () => {
    const alice = await browser.newContext();
    const bob = await browser.newContext();
    const tab1 = await alice.newPage();
    const problems = watchConsole(tab1);
    await login(tab1, 'alice');
    const tab2 = await alice.newPage();
    const tab2Problems = watchConsole(tab2);
    await tab2.goto(url);
    const bobTab = await bob.newPage();
    const bobProblems = watchConsole(bobTab);
    await login(bobTab, 'bob');
    await Promise.all([openAs(tab1, 'alice'), openAs(tab2, 'alice'), openAs(bobTab, 'bob')]);

    await tab1.click('#poke');
    await tab1.waitForSelector('#log li.poke');
    await tab2.waitForSelector('#log li.poke');

    // A broadcast reaches everyone; by the time bob sees it (per-client order), he would have seen a poke.
    await tab2.fill('#text', 'hello from tab 2');
    await tab2.click('#chat button');
    await bobTab.waitForSelector('#log li:has-text("alice: hello from tab 2")');
    expect(await bobTab.locator('#log li.poke').count()).toBe(0);
    await tab1.waitForSelector('#log li:has-text("alice: hello from tab 2")');
    expect(await tab1.textContent('#status')).toBe('connected over WebSocket, logged in as alice');
    expect({ tab1: problems, tab2: tab2Problems, bob: bobProblems }).toEqual({ tab1: [], tab2: [], bob: [] });
    await alice.close();
    await bob.close();
  }, 60_000);

  test('before logging in: no internal ids on screen, poking says to log in first, no console errors or 404s', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const problems = watchConsole(page);
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'connected over WebSocket, not logged in');
    // Someone else logs in and out: presence of a named user shows, the anonymous user never does.
    const other = await (await browser.newContext()).newPage();
    await login(other, 'dave');
    await page.waitForSelector('#log li:has-text("dave is online")');
    await other.context().close();
    await page.waitForSelector('#log li:has-text("dave is offline")');
    await page.click('#poke');
    await page.waitForSelector('#log li.notice:has-text("Log in first")');
    await page.fill('#text', 'hi');
    await page.click('#chat button');
    await page.waitForSelector('#log li.notice:has-text("Log in first to chat")');
    expect(await page.evaluate(() => document.body.innerText)).not.toContain('chsk/');
    expect(await page.textContent('#state')).not.toContain('chsk/');
    expect(problems).toEqual([]);
    await ctx.close();
  }, 60_000);

  test('a server restart forgets the session: the tab says it is logged out rather than showing the old name', async () => {
    // A demo of its own, restarted on the same port.
    const first = await spawnDemo('0');
    const port = new URL(first.url).port;
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    try {
      await page.goto(first.url);
      await page.fill('input[name=name]', 'erin');
      await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button')]);
      await page.waitForFunction(() => document.getElementById('status')!.textContent === 'connected over WebSocket, logged in as erin');
      expect(await page.inputValue('#name')).toBe('erin');
      first.demo.kill();
      await new Promise((r) => first.demo.once('exit', r));
      await page.waitForFunction(() => /reconnecting|connecting/.test(document.getElementById('status')!.textContent!));
      const second = await spawnDemo(port);
      try {
        await page.waitForFunction(() => document.getElementById('status')!.textContent === 'connected over WebSocket, not logged in', undefined, { timeout: 40_000 });
        await page.waitForSelector('#notice:has-text("no longer logged in as erin")');
        expect(await page.inputValue('#name')).toBe('');
      } finally {
        second.demo.kill();
      }
    } finally {
      first.demo.kill();
      await ctx.close();
    }
  }, 90_000);

  test('playground: cut the link and come back, flood pushes, a deadline met and missed, a streamed job, names online, forced Ajax', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await ctx.newPage();
    const problems = watchConsole(page);
    await login(page, 'grace');
    await openAs(page, 'grace');
    const other = await (await browser.newContext()).newPage();
    await login(other, 'heidi');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#online li')).map((li) => li.textContent).join(',') === 'grace,heidi');
    expect(await page.isHidden('#nobody')).toBe(true);
    expect(await page.textContent('#transport')).toBe('WebSocket');

    // Cut: the server drops the TCP connection; the page shows the drop, a countdown, then open again.
    // The first retry comes quickly: record what the pill and the countdown said on the way.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
      const watch = (id: string) =>
        new MutationObserver(() => seen.push(`${id}: ${document.getElementById(id)!.textContent}`)).observe(document.getElementById(id)!, { childList: true, characterData: true, subtree: true });
      watch('pill');
      watch('retry');
    });
    await page.click('#cut');
    await page.waitForSelector('#lastDrop:has-text("the link dropped without a goodbye")');
    await openAs(page, 'grace');
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen).toContain('pill: reconnecting');
    expect(seen.some((x) => /^retry: in \d+\.\d s \(attempt 1\)$/.test(x))).toBe(true);
    expect(seen.at(-1)).toMatch(/^(pill: open|retry: not needed)$/);
    await page.waitForSelector('#recovery:has-text("back after")');
    expect(await page.textContent('#retry')).toBe('not needed');

    // Flood: every push arrives, in order; the other user's tab counts none.
    await page.click('#flood');
    await page.waitForSelector('#floodResult:has-text("1,000 of 1,000 received")');
    expect(await page.textContent('#floodResult')).toMatch(/in \d+ ms, in order$/);
    expect(await other.textContent('#floodResult')).toBe('–');

    // A deadline: met, then missed (CHSK_TIMEOUT), then the connection is still fine.
    await page.fill('#delay', '100');
    await page.fill('#deadline', '2000');
    await page.click('#ask button');
    await page.waitForSelector('#askResult:has-text("answered 42 after")');
    await page.fill('#delay', '1500');
    await page.fill('#deadline', '300');
    await page.click('#ask button');
    await page.waitForSelector('#askResult:has-text("CHSK_TIMEOUT: no answer within 300 ms, gave up")');

    // A streamed reply: ten progress items, then done.
    await page.click('#job');
    await page.waitForSelector('#jobResult:has-text("done")');
    expect(await page.evaluate(() => (document.getElementById('jobBar') as HTMLProgressElement).value)).toBe(10);

    // heidi leaves: her name goes from the list.
    await other.context().close();
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#online li')).map((li) => li.textContent).join(',') === 'grace');
    expect(await page.evaluate(() => document.body.innerText)).not.toContain('chsk/');
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(join(root, 'docs'), { recursive: true });
      await page.screenshot({ path: join(root, 'docs', 'playground.png'), fullPage: true });
    }

    // Forced Ajax: the same page over long-polling, and cutting it works there too.
    await page.click('#switch');
    await page.waitForURL(/transport=ajax/);
    await openAs(page, 'grace');
    expect(await page.textContent('#transport')).toBe('Ajax long-polling (forced)');
    expect(await page.textContent('#status')).toBe('connected over Ajax long-polling, logged in as grace');
    // On Ajax the cut drops the held poll; a lost poll is retried, so the link stays up and pushes still arrive.
    await page.click('#cut');
    await page.waitForSelector('#cutResult:has-text("the server dropped the held long-poll")');
    await page.click('#flood');
    await page.waitForSelector('#floodResult:has-text("1,000 of 1,000 received")');
    expect(await page.textContent('#pill')).toBe('open');
    expect(problems).toEqual([]);
    await ctx.close();
  }, 90_000);

  test('on Ajax in a real browser, replies ride back on the POST answers and pushes still arrive on the held poll', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await login(page, 'carol');
    await openAs(page, 'carol');
    const result = await page.evaluate(async () => {
      // The page's CSRF token, as the demo's own client got it.
      const token = /csrfToken: '([^']+)'/.exec(Array.from(document.scripts, (s) => s.textContent).join('\n'))![1];
      const seen: string[] = [];
      const fetchCounting = (url: string, init: RequestInit) =>
        fetch(url, init).then((r) => (seen.push(`${init.method} ${r.status}`), r));
      const w = window as unknown as { SenteRx: typeof import('../../src/browser') };
      const c = w.SenteRx.createChannelSocketClient({ url: '/chsk', type: 'ajax', csrfToken: token, fetch: fetchCounting as never });
      const opened = () =>
        new Promise<void>((resolve) => {
          const sub = c.state$.subscribe((st) => st.open && (resolve(), queueMicrotask(() => sub.unsubscribe())));
        });
      await opened();
      const pokes: unknown[] = [];
      c.events$.subscribe(([id, data]) => id === 'chat/poked' && pokes.push(data));
      const replies: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        replies.push(await new Promise((resolve, reject) => c.send(['chat/poke-me', null], { timeoutMs: 5000 }).subscribe({ next: resolve, error: reject })));
      }
      await new Promise<void>((resolve) => {
        const check = () => (pokes.length >= 5 ? resolve() : setTimeout(check, 10));
        check();
      });
      c.disconnect();
      return { replies, pokes: pokes.length, seen };
    });
    expect(result.replies).toEqual(Array.from({ length: 5 }, () => ({ ok: true })));
    expect(result.pokes).toBe(5);
    // Every request's reply came back on its own POST (a 204 would mean it went to the poll instead).
    expect(result.seen.filter((x) => x.startsWith('POST'))).toEqual(Array.from({ length: 5 }, () => 'POST 200'));
    await ctx.close();
  }, 60_000);

  test('a page from another origin cannot open the channel, even with the victim logged in (cross-site WebSocket hijacking)', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await login(page, 'victim');
    // Same browser, same cookies, but the page's origin differs (127.0.0.1 vs localhost).
    const evil = url.replace('localhost', '127.0.0.1');
    await page.goto(`${evil}/sente-rx.min.js`);
    const outcome = await page.evaluate(
      (target) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(target.replace(/^http/, 'ws') + '/chsk?cid=evil', ['sente-rx.v1']);
          ws.onopen = () => resolve('opened');
          ws.onerror = () => resolve('refused');
        }),
      url,
    );
    expect(outcome).toBe('refused');
    await ctx.close();
  }, 60_000);
});
