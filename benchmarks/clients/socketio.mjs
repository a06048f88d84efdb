// Socket.IO 4 side of the load generator: socket.io-client with `forceNew` (one Manager, hence one
// connection, per client), transports ['websocket'] (or ['polling'] for the Ajax scenarios), requests as
// `emitWithAck`, pushes through `socket.on(id)`. Reconnection is off (a benchmark connection that drops is a
// failed run), except in the reconnect row (`reconnect: true`), which runs Socket.IO's reconnection defaults:
// reconnectionDelay 1000, reconnectionDelayMax 5000, randomizationFactor 0.5.
import { io } from 'socket.io-client';

export const stats = { frames: 0 };

export function supports(transport) {
  return transport === 'ws' || transport === 'ajax';
}

export function connect({ port, transport = 'ws', timeoutMs = 30_000, reconnect = false }) {
  return new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, {
      forceNew: true,
      transports: transport === 'ajax' ? ['polling'] : ['websocket'],
      reconnection: reconnect,
      timeout: timeoutMs,
    });
    socket.once('connect_error', reject);
    socket.once('connect', () => {
      socket.off('connect_error', reject);
      resolve({
        on: (id, fn) => void (socket.off(id), socket.on(id, fn)),
        request: (id, data) => socket.emitWithAck(id, data),
        emit: (id, data) => void socket.emit(id, data),
        /**
         * Asks the server to put this socket in room `topic` (socket.join). Room events arrive like any other, so
         * fn gets every `bench/fan` (the row puts each client in one room).
         */
        join: (topic, fn) => {
          socket.on('bench/fan', (data) => fn('bench/fan', data));
          socket.emit('bench/join', topic);
        },
        /** Calls fn() each time the socket connects again after its first connect. */
        onReopen: (fn) => void socket.on('connect', () => fn()),
        close: () => socket.close(),
      });
    });
  });
}
