import { createServer } from 'node:net';

/**
 * Asks the OS for a TCP port that is free right now on `host`.
 * Another process may take it before you bind it, so bind promptly (or listen on port 0 when you can).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : undefined;
      server.close((err) => {
        if (err !== undefined) {
          reject(err);
        } else if (port === undefined) {
          reject(new Error(`freePort: no TCP address for ${host}`));
        } else {
          resolve(port);
        }
      });
    });
  });
}
