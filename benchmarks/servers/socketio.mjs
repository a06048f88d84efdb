// Socket.IO 4 side of the benchmark server: default server settings (the peer as users run it).
// Requests are answered through the ack callback (the client uses emitWithAck); broadcasts use io.emit.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { EV, pushLoop } from '../lib/payload.mjs';

export async function start() {
  const http = createServer();
  const io = new Server(http, { perMessageDeflate: false });
  io.on('connection', (socket) => {
    socket.on(EV.echo, (data, ack) => ack(data));
    socket.on(EV.push, (data) => pushLoop(data.n, (i) => socket.emit(EV.ev, { n: i, text: 'hello world' })));
    socket.on(EV.fanout, (data) => io.emit(EV.fan, data));
  });
  return { http };
}
