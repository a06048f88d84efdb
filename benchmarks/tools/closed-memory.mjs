// Heap kept by connections that are gone (issue 10 #16). Not a timed test: a measurement to run by hand,
//   node --expose-gc benchmarks/tools/closed-memory.mjs [--clients=20] [--frame-kib=1024]
//   SENTE_RX_DIST=/path/to/other/dist node --expose-gc benchmarks/tools/closed-memory.mjs   (another build)
// 1. "left mid-frame": `clients` WebSocket clients each send 90 % of a `frame-kib` message, then vanish
//    (socket destroyed). The server's heap is measured after gc while their uids wait out the presence
//    grace period (wsGraceMs, 2.5 s by default), then again after it.
// 2. "trickled POST": `clients` Ajax POSTs each trickle 20,000 body bytes one TCP segment at a time (a
//    client that never finishes its body); the heap is measured after gc while they are in flight.
// Figures are heapUsed + arrayBuffers (Buffers live outside the JS heap), as deltas against a baseline taken after a warm-up connection came and went.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { distDir } from '../lib/dist.mjs';

const require = createRequire(import.meta.url);
const { createChannelSocketServer } = require(`${distDir}/cjs/server.cjs`);
const express = require('express');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const clients = Number(args.clients ?? 20);
const frameBytes = Number(args['frame-kib'] ?? 1024) * 1024;
if (!global.gc) throw new Error('run with node --expose-gc');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const heapMiB = async () => {
  for (let i = 0; i < 3; i++) global.gc(), await sleep(20);
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20; // Buffers live outside the JS heap
};

const app = express();
// Each client its own uid (from the query), so each waits out its own grace period.
const userId = (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('uid');
const chsk = createChannelSocketServer({ maxFrameBytes: 2 * frameBytes, keepAlive: false, userId });
app.use('/chsk', chsk.router);
const http = createServer(app);
chsk.attach(http);
await new Promise((r) => http.listen(0, '127.0.0.1', r));
const { port } = http.address();

/** A raw WebSocket upgrade; resolves with the socket once the 101 arrived. */
function upgrade(cid) {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', reject);
    s.write(
      `GET /chsk?v=1&cid=${cid}&uid=${cid} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sente-rx.v1\r\n\r\n`,
    );
    s.once('data', (d) => (String(d).startsWith('HTTP/1.1 101') ? resolve(s) : reject(new Error(String(d).split('\r\n')[0]))));
  });
}

/** Header of a masked client text frame of `len` bytes (mask all zeros: the payload goes as is). */
function frameHeader(len) {
  const h = Buffer.alloc(14);
  h[0] = 0x81;
  h[1] = 0x80 | 127;
  h.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
  h.writeUInt32BE(len >>> 0, 6);
  return h; // bytes 10..13: the zero mask
}

async function leftMidFrame() {
  const socks = await Promise.all(Array.from({ length: clients }, (_, i) => upgrade(`mid${i}`)));
  const part = Buffer.alloc(Math.floor(frameBytes * 0.9), 0x61);
  for (const s of socks) s.write(Buffer.concat([frameHeader(frameBytes), part]));
  await sleep(300); // let the server read them
  for (const s of socks) s.destroy();
  await sleep(200); // the closes reach the server; the grace periods (2.5 s) are running
  const during = await heapMiB();
  await sleep(3000);
  const after = await heapMiB();
  return { during, after };
}

async function trickledPosts() {
  // A handshake for a token, then POSTs whose bodies arrive one byte per segment and never finish.
  const hs = await fetch(`http://127.0.0.1:${port}/chsk?v=1&hs=1&cid=trickle`);
  const tk = (await hs.text()).match(/"tk":"([^"]+)"/)[1];
  const socks = Array.from({ length: clients }, () => {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.on('error', () => undefined);
    s.write(
      `POST /chsk?cid=trickle HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `x-chsk-token: ${tk}\r\nContent-Length: 100000\r\n\r\n`,
    );
    return s;
  });
  for (let i = 0; i < 20_000; i++) {
    for (const s of socks) s.write('a');
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await sleep(300);
  const during = await heapMiB();
  for (const s of socks) s.destroy();
  return { during };
}

// Warm-up: one connection comes and goes, then the baseline.
(await upgrade('warm')).destroy();
await sleep(3000);
const base = await heapMiB();
const mid = await leftMidFrame();
const base2 = await heapMiB();
const post = await trickledPosts();
const f = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} MiB`;
console.log(
  JSON.stringify(
    {
      dist: distDir,
      clients,
      leftMidFrame: { frameKiB: frameBytes / 1024, duringGrace: f(mid.during - base), afterGrace: f(mid.after - base) },
      trickledPost: { bytesEach: 20_000, duringBody: f(post.during - base2) },
    },
    null,
    2,
  ),
);
await chsk.close();
http.closeAllConnections();
http.close();
