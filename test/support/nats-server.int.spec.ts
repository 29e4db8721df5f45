import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from './nats-server.js';

const started: NatsServerHandle[] = [];

afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()));
});

test('JetStream data survives kill() and restart(); stop() removes the temp store', async () => {
  const server = await startNatsServer();
  started.push(server);
  expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
  expect(existsSync(server.storeDir)).toBe(true);

  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'SELFTEST', subjects: ['selftest.>'] });
  const ack = await jetstream(nc).publish('selftest.one', 'hello');
  expect(ack.seq).toBe(1);
  await nc.close();

  await server.kill();
  await expect(connect({ servers: server.url, reconnect: false, timeout: 1_000 })).rejects.toThrow();

  await server.restart();
  const nc2 = await connect({ servers: server.url });
  const stored = await (await jetstreamManager(nc2)).streams.getMessage('SELFTEST', { seq: 1 });
  expect(stored?.subject).toBe('selftest.one');
  expect(stored?.string()).toBe('hello');
  await nc2.close();

  await server.stop();
  expect(existsSync(server.storeDir)).toBe(false);
  await expect(server.restart()).rejects.toThrow(/was stopped/);
});

test('a caller-provided store dir is kept after stop()', async () => {
  const storeDir = await mkdtemp(join(tmpdir(), 'hookpost-nats-spec-'));
  try {
    const server = await startNatsServer({ storeDir });
    started.push(server);
    expect(server.storeDir).toBe(storeDir);
    await server.stop();
    expect(existsSync(join(storeDir, 'jetstream'))).toBe(true);
  } finally {
    await rm(storeDir, { recursive: true, force: true });
  }
});

test('fails with the server stderr when it cannot start', async () => {
  // A listener that accepts but never greets, like a foreign process holding the port.
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    await expect(startNatsServer({ port })).rejects.toThrow(/exited[\s\S]*address already in use/);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});
