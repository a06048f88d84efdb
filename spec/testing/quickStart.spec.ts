/**
 * The README's first server (section "A server and a Node client"), run as written: spec/testing/quickstart/
 * holds its events.ts and server.ts, checked here to be the README's blocks word for word (only the import
 * specifiers differ: 'sente-rx' there, the sources here). Started on PORT=0, it serves a real client, refuses the
 * frames that crashed the old quick start (`['chat/send']` with no data, `{ text: 42 }`) with CHSK_BAD_DATA
 * before its handler sees them, keeps that connection open, and goes on serving a second client.
 */
import { readFileSync } from 'fs';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { join } from 'path';
import { config, filter, firstValueFrom, ReplaySubject, startWith, take, timeout, toArray } from 'rxjs';
import WebSocket from 'ws';
import type { ChannelError } from '../../src';
import { createChannelSocketClient, type ChannelSocketClient } from '../../src/client';
import { jsonPacker } from '../../src/packers/jsonPacker';
import { ErrorCode } from '../../src/protocol/codes';
import type { ServerErrorReport } from '../../src/server';
import { waitFor } from '../support/harness';
import { rawClient, type RawClient } from '../support/rawClient';

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
/** The README's ```ts block whose first line is `first`. */
const readmeBlock = (first: string): string => {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((b) => b[1]!);
  const found = blocks.filter((b) => b.startsWith(first));
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** The part of a fixture between its README markers, with the sources' import specifiers as the README writes them. */
const fixtureBlock = (file: string, name: string): string => {
  const text = readFileSync(join(__dirname, 'quickstart', file), 'utf8');
  const body = text.slice(text.indexOf(`// --- README ${name} ---\n`) + `// --- README ${name} ---\n`.length, text.indexOf('// --- end ---'));
  return body.replace(/'\.\.\/\.\.\/\.\.\/src\/(\w+)'/g, "'sente-rx/$1'").replace(/'\.\.\/\.\.\/\.\.\/src'/g, "'sente-rx'");
};

describe("the README's first server", () => {
  it.each([
    ['events.ts', '// events.ts'],
    ['server.ts', '// server.ts\n'],
  ])('spec/testing/quickstart/%s is the README block, word for word', (file, first) => {
    expect(fixtureBlock(file, file)).toBe(readmeBlock(first));
  });

  it("says that without schemas data is not checked at run time", () => {
    const section = readme.slice(readme.indexOf('## A server and a Node client'), readme.indexOf('## Handlers and marble tests'));
    expect(section).toMatch(/[Ww]ithout `schemas`[^.]*not checked at run time/);
  });

  describe('run on PORT=0', () => {
    let server: typeof import('./quickstart/server');
    let url: string;
    let reports: ServerErrorReport[];
    let unhandled: unknown[];
    const clients: ChannelSocketClient<import('./quickstart/events').ChatEvents>[] = [];
    const raws: RawClient[] = [];
    const saved = config.onUnhandledError;
    const savedPort = process.env.PORT;

    beforeAll(async () => {
      unhandled = [];
      // Where RxJS sends what it would otherwise rethrow in a timer (and crash the process with).
      config.onUnhandledError = (e) => unhandled.push(e);
      process.env.PORT = '0';
      server = await import('./quickstart/server');
      const http: Server = server.http;
      if (!http.listening) await new Promise((r) => http.once('listening', r));
      url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/chsk`;
      reports = [];
      server.chsk.errors$.subscribe((r) => reports.push(r));
    });
    afterAll(async () => {
      for (const c of clients) c.disconnect();
      for (const r of raws) r.ws.close();
      await server.chsk.close();
      await new Promise((r) => server.http.close(r));
      config.onUnhandledError = saved;
      if (savedPort === undefined) delete process.env.PORT;
      else process.env.PORT = savedPort;
    });

    const connect = async () => {
      const { schemas } = await import('./quickstart/events');
      const c = createChannelSocketClient({ url, WebSocket, schemas });
      clients.push(c);
      const pushes = new ReplaySubject<unknown>();
      const errors: ChannelError[] = [];
      c.events$.subscribe((e) => pushes.next(e));
      c.errors$.subscribe((e) => errors.push(e));
      await waitFor(c.state$, (s) => s.open);
      return { c, pushes, errors };
    };

    it('serves a good request, refuses hostile frames with CHSK_BAD_DATA, and goes on serving everyone', async () => {
      const alice = await connect();
      await expect(firstValueFrom(alice.c.send(['chat/send', { text: 'hello' }], { timeoutMs: 5000 }))).resolves.toEqual({ ok: true });
      await expect(waitFor(alice.pushes, (e) => (e as string[])[0] === 'chat/msg')).resolves.toEqual(['chat/msg', { from: 'anonymous', text: 'hello' }]);

      const raw = await rawClient(url, jsonPacker, 'cid=hostile');
      raws.push(raw);
      const flat$ = new ReplaySubject<Record<string, unknown>>();
      raw.messages$.subscribe((m) => (m.t === 'b' ? (m.ms as Record<string, unknown>[]).forEach((x) => flat$.next(x)) : flat$.next(m)));
      raw.sendRaw('{"t":"e","ev":["chat/send"]}');
      raw.sendRaw('{"t":"q","ev":["chat/send",{"text":42}],"rid":1,"mid":1}');
      const xs = await firstValueFrom(flat$.pipe(filter((m) => m.t === 'x'), take(2), toArray(), timeout(5000)));
      expect(xs).toEqual([
        expect.objectContaining({ t: 'x', code: ErrorCode.BadData }),
        expect.objectContaining({ t: 'x', code: ErrorCode.BadData, rid: 1, mid: 1 }),
      ]);
      expect(xs[0]).not.toHaveProperty('rid');
      expect(xs[1]!.issues).toEqual([expect.objectContaining({ path: ['text'] })]);
      await waitFor(server.chsk.errors$.pipe(startWith(undefined)), () => reports.filter((r) => r.code === ErrorCode.BadData).length === 2);
      expect(reports.map((r) => r.code)).toEqual([ErrorCode.BadData, ErrorCode.BadData]);

      // The hostile connection is still open and served: a good request on it gets its reply.
      raw.sendRaw('{"t":"q","ev":["chat/send",{"text":"sorry"}],"rid":2,"mid":2}');
      await expect(waitFor(flat$, (m) => m.t === 'r' && m.rid === 2)).resolves.toEqual(expect.objectContaining({ d: { ok: true } }));

      // A second client is served, and sees the pushes of both good requests after it joined.
      const bob = await connect();
      await expect(firstValueFrom(bob.c.send(['chat/send', { text: 'still here' }], { timeoutMs: 5000 }))).resolves.toEqual({ ok: true });
      await expect(waitFor(bob.pushes, (e) => (e as string[])[0] === 'chat/msg')).resolves.toEqual(['chat/msg', { from: 'anonymous', text: 'still here' }]);
      await expect(firstValueFrom(alice.c.send(['chat/send', { text: 'me too' }], { timeoutMs: 5000 }))).resolves.toEqual({ ok: true });
      expect(alice.errors).toEqual([]);
      expect(bob.errors).toEqual([]);
      expect(unhandled).toEqual([]);
      expect(raw.ws.readyState).toBe(WebSocket.OPEN);
    });
  });
});
