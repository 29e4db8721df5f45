import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/app-config.js';
import { createLogger } from '../infra/logger.js';
import { modernNatsServer } from '../infra/nats-server-binary.js';
import type { RunningService } from '../serve.js';
import { AdminClient } from './admin-client.js';
import { CliError } from './cli-error.js';
import { startDemoReceiver, type DemoReceiver, type ReceiverStats } from './demo-receiver.js';
import { DEMO_CUSTOMERS, startTraffic } from './demo-traffic.js';
import { listenForStop } from './stop-signals.js';

const FAILURE_RATE = 0.2;
/** The printed status link outlives any demo run a newcomer leaves open. */
const DEMO_LINK_TTL_SECONDS = 86_400;

/** `hookpost demo`: everything embedded, flaky traffic, and the live status, so retries, stalls and recovery show within a minute. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'start the service embedded (its own nats-server and SQLite in a temp dir) with a local receiver that ' +
        'fails now and then, publish messages for three customers and show the live status until Ctrl-C (or SIGTERM, or the terminal closing)',
    )
    .option('--duration <seconds>', 'stop by itself after this many seconds', positive('seconds'))
    .option('--rate <n>', 'messages published per second', positive('messages per second'), 4)
    .action((options: { duration?: number; rate: number }) => runDemo(options));
}

async function runDemo({ duration, rate }: { duration?: number; rate: number }): Promise<void> {
  // First of all: a signal during start-up must end in the cleanup below too.
  const stop = listenForStop();
  const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-demo-'));
  let receiver: DemoReceiver | null = null;
  let service: RunningService | null = null;
  let client: AdminClient | null = null;
  try {
    receiver = await startDemoReceiver(FAILURE_RATE);
    const adminToken = randomBytes(18).toString('base64url');
    // Found (or fetched once into the user's cache) here, so a fetched copy outlives the temp dir.
    const natsServerBin = await modernNatsServer(
      process.env.NATS_SERVER_BIN?.trim() || null,
      undefined,
      createLogger('warn'),
    );
    const env = {
      NATS_SERVER_BIN: natsServerBin,
      NATS_URL: `nats://127.0.0.1:${await freePort()}`, // nothing listens there, so serve() starts its own
      HOOKPOST_DATA_DIR: dataDir,
      HOOKPOST_NAMESPACE: 'demo',
      HOOKPOST_ADMIN_TOKEN: adminToken,
      // A real port, not 0: the printed status link is built from HOST:PORT.
      PORT: String(await freePort()),
      HOOKPOST_ALLOW_PRIVATE_TARGETS: 'true',
      HOOKPOST_BACKOFF_BASE_MS: '1000',
      HOOKPOST_BACKOFF_ATTEMPTS: '4',
      HOOKPOST_BACKOFF_DAILY_MS: '10000',
      HOOKPOST_BATCH_SIZE: '10',
      HOOKPOST_BATCH_INTERVAL_MS: '1000',
      LOG_LEVEL: 'error',
    };
    const { serve } = await import('../serve.js');
    service = await serve(env);
    client = await AdminClient.connect(loadConfig(env));
    await configureCustomers(service.url, adminToken, receiver.url);
    const intro = [
      `Hookpost demo: service ${service.url}, NATS ${env.NATS_URL}, receiver ${receiver.url}, data in ${dataDir}`,
      `backoff 1 s doubling (4 attempts, then every 10 s); ${rate} messages/s for ` +
        DEMO_CUSTOMERS.map(({ customerId, batching }) => customerId + (batching ? ' (batching)' : '')).join(
          ', ',
        ),
      '',
      ...(await pageLinks(service.url, adminToken)),
    ].join('\n');
    process.stdout.write(`${intro}\n\n`);
    const traffic = startTraffic(client, receiver, rate, intro);
    await Promise.race([
      stop.signal,
      ...(duration === undefined ? [] : [delay(duration * 1000, undefined, { ref: false })]),
    ]);
    await traffic.stop();
    process.stdout.write(`${summary(traffic.published(), receiver.stats)}\n`);
  } finally {
    await client?.close();
    await service?.stop();
    await receiver?.close();
    await rm(dataDir, { recursive: true, force: true });
    stop.dispose();
  }
}

/** The status page of the first demo customer (a link with its Retry and Refresh) and the overview with its way in. */
async function pageLinks(serviceUrl: string, adminToken: string): Promise<string[]> {
  const { customerId } = DEMO_CUSTOMERS[0];
  const response = await fetch(`${serviceUrl}/v1/customers/${customerId}/status-links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ttlSeconds: DEMO_LINK_TTL_SECONDS, actions: true }),
  });
  if (!response.ok) {
    throw new CliError(`a status link for ${customerId} failed: ${response.status} ${await response.text()}`);
  }
  const link = (await response.json()) as { url: string };
  return [
    `${customerId}'s status page: ${link.url}`,
    `all customers: ${serviceUrl}/ui (admin token ${adminToken})`,
  ];
}

async function configureCustomers(serviceUrl: string, adminToken: string, receiverUrl: string) {
  for (const { customerId, batching } of DEMO_CUSTOMERS) {
    const response = await fetch(`${serviceUrl}/v1/customers/${customerId}/webhook`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `${receiverUrl}/${customerId}`,
        secret: `whsec_demo_${customerId}`,
        batching,
      }),
    });
    if (!response.ok) {
      throw new CliError(`configuring ${customerId} failed: ${response.status} ${await response.text()}`);
    }
  }
}

function summary(published: number, stats: ReceiverStats): string {
  const perCustomer = [...stats.delivered].map(([customerId, count]) => `${customerId} ${count}`).join(', ');
  const delivered = [...stats.delivered.values()].reduce((sum, count) => sum + count, 0);
  return (
    `demo stopped: ${published} published, ${delivered} delivered (${perCustomer || 'none yet'}), ` +
    `${stats.failedRequests} failed requests; undelivered messages were still queued or waiting out a backoff`
  );
}

/** A port nothing listens on right now (the embedded nats-server or the HTTP server takes it at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function positive(what: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0) {
      throw new InvalidArgumentError(`a positive number of ${what}`);
    }
    return number;
  };
}
