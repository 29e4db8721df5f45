import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../support/free-port.js';
import { natsServerBin } from '../support/nats-server.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startService, type ServiceProcess } from '../support/service-process.js';

describe('embedded defaults: no DATABASE_URL, no NATS running', () => {
  let receiver: Receiver;
  let service: ServiceProcess;
  let natsUrl: string;
  let dataDir: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    natsUrl = `nats://127.0.0.1:${await freePort()}`;
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-embedded-'));
    service = await startService({
      NATS_URL: natsUrl,
      HOOKPOST_DATA_DIR: dataDir,
      NATS_SERVER_BIN: natsServerBin(),
    });
  });
  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('starts its own nats-server and SQLite, and delivers a message published over NATS', async () => {
    expect(service.logs()).toContain('starting an embedded nats-server');
    const natsConfig = await readFile(join(dataDir, 'nats-server.conf'), 'utf8');
    expect(natsConfig).toMatch(/^ {2}sync_interval: always$/m);
    expect(natsConfig).toContain(`store_dir: ${JSON.stringify(join(dataDir, 'nats'))}`);
    expect(service.logs()).toContain('"database":"sqlite"');
    const configured = await service.api('PUT', '/v1/customers/local/webhook', {
      url: `${receiver.url}/local`,
      secret: 'embedded-secret',
    });
    expect(configured.status).toBe(200);

    const client = await connect({ servers: natsUrl });
    const reply = await client.request(
      `${service.namespace}.publish`,
      JSON.stringify({ customerId: 'local', event: 'CHECK_COMPLETED', data: { hello: 'world' } }),
      { timeout: 5_000 },
    );
    await client.close();
    const { webhookId } = reply.json<{ webhookId: number }>();
    const [request] = await receiver.waitForRequests(1, 10_000);
    expect(JSON.parse(request!.body)).toMatchObject({ id: webhookId, data: { hello: 'world' } });
  });
});
