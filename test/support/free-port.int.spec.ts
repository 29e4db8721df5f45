import { createServer, type Server } from 'node:net';
import { freePort } from './free-port.js';

async function listen(port: number, host: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, resolve);
  });
  return server;
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

test('returns a port that can be bound right away', async () => {
  const port = await freePort();
  expect(Number.isInteger(port)).toBe(true);
  expect(port).toBeGreaterThan(0);
  expect(port).toBeLessThan(65_536);
  const server = await listen(port, '127.0.0.1');
  await close(server);
});

test('does not return a port that is already taken', async () => {
  const taken = await listen(0, '127.0.0.1');
  const address = taken.address();
  const takenPort = typeof address === 'object' && address !== null ? address.port : -1;
  try {
    for (let i = 0; i < 20; i++) {
      expect(await freePort()).not.toBe(takenPort);
    }
  } finally {
    await close(taken);
  }
});

test('rejects for a host it cannot bind', async () => {
  await expect(freePort('203.0.113.1')).rejects.toThrow(/EADDRNOTAVAIL/);
});
