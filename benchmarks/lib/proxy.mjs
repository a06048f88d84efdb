// A TCP proxy for the catch-up row: the load generator's client connects through it, so the row can cut the
// link (every proxied socket destroyed: both ends see a reset) and keep it cut (new connections destroyed as
// they arrive) until restore().
import net from 'node:net';

/** Starts a proxy on 127.0.0.1 (ephemeral port) to 127.0.0.1:targetPort. */
export async function startProxy(targetPort) {
  const sockets = new Set();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return void client.destroy();
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, '127.0.0.1');
    upstream.setNoDelay(true);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', end);
      s.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    /** Destroys every proxied connection and refuses new ones until restore(). */
    cut() {
      up = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      up = true;
    },
    close() {
      up = false;
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
