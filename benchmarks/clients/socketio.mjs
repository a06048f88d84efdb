// Socket.IO 4 side of the load generator: socket.io-client with `forceNew` (one Manager, hence one
// connection, per client), transports ['websocket'] (or ['polling'] for the Ajax scenarios), requests as
// `emitWithAck`, pushes through `socket.on(id)`.
import { io } from 'socket.io-client';

export const stats = { frames: 0 };

export function supports(transport) {
  return transport === 'ws' || transport === 'ajax';
}

export function connect({ port, transport = 'ws', timeoutMs = 30_000 }) {
  return new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, {
      forceNew: true,
      transports: transport === 'ajax' ? ['polling'] : ['websocket'],
      reconnection: false,
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
        close: () => socket.close(),
      });
    });
  });
}
