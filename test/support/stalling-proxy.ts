import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy to a port on 127.0.0.1 that can stop passing bytes while keeping every connection
 * open: a network path that hangs rather than fails, so a client sees no error and no answer.
 */
export interface StallingProxy {
  readonly port: number;
  /** Holds every byte, both ways, from now on. */
  stall(): void;
  /** Passes on what was held, in order, then everything again. */
  resume(): void;
  close(): Promise<void>;
}

export async function startStallingProxy(targetPort: number): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  const held: [Socket, Buffer][] = [];
  let stalled = false;
  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => (stalled ? held.push([to, chunk]) : to.write(chunk)));
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket
        .on('error', () => undefined)
        .on('close', () => {
          sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') {
    throw new Error('stalling proxy: no TCP address');
  }
  return {
    port: address.port,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      held.splice(0).forEach(([to, chunk]) => to.write(chunk));
    },
    close: async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
