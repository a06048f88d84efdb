// Socket.IO 4 side of the benchmark server: default server settings (the peer as users run it).
// Requests are answered through the ack callback (the client uses emitWithAck); broadcasts use io.emit; the
// topic fan-out row joins rooms with socket.join (after the same kind of check as sente-rx's authorizeTopic)
// and publishes with io.to(room).emit.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { EV, pushLoop, topicName } from '../lib/payload.mjs';

/** The membership check of the topic fan-out row, as sente-rx's authorizeTopic there: it allows every bench room. */
const mayJoin = (socket, room) => typeof room === 'string' && room.startsWith('bench/t') && socket.connected;

export async function start() {
  const http = createServer();
  const io = new Server(http, { perMessageDeflate: false });
  io.on('connection', (socket) => {
    socket.on(EV.echo, (data, ack) => ack(data));
    socket.on(EV.push, (data) => pushLoop(data.n, (i) => socket.emit(EV.ev, { n: i, text: 'hello world' })));
    socket.on(EV.fanout, (data) => io.emit(EV.fan, data));
    socket.on('bench/join', (room) => mayJoin(socket, room) && socket.join(room));
    socket.on(EV.topicFanout, (data) => {
      for (let i = 0; i < data.topics; i++) io.to(topicName(i)).emit(EV.fan, { n: data.n, text: data.text });
    });
    socket.on(EV.members, (data, ack) => {
      let total = 0;
      for (let i = 0; i < data.topics; i++) total += io.sockets.adapter.rooms.get(topicName(i))?.size ?? 0;
      ack(total);
    });
  });
  return { http };
}
