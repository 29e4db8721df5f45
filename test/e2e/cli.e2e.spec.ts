import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, waitForStatus, type Harness } from './harness.js';
import { natsServerBin } from '../support/nats-server.js';
import { runCli } from '../support/run-cli.js';

describe('hookpost status / retry / publish against a running service', () => {
  let h: Harness;
  let cliDir: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    cliDir = mkdtempSync(join(tmpdir(), 'hookpost-cli-'));
    // A long backoff: after the first failure only `retry` brings the next attempt within the test.
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '600000' });
    env = {
      NATS_URL: h.nats.url,
      HOOKPOST_NAMESPACE: h.service.namespace,
      PORT: new URL(h.service.url).port,
      HOOKPOST_ADMIN_TOKEN: h.service.adminToken,
      HOOKPOST_DATA_DIR: cliDir,
    };
    let requests = 0;
    h.receiver.respondWith(() =>
      ++requests === 1 ? { status: 500, body: 'first one fails' } : { status: 200, body: '{}' },
    );
    await h.configure('acme');
  });

  afterAll(async () => {
    await h?.close();
    rmSync(cliDir, { recursive: true, force: true });
  });

  test('publish, see the stall in status, retry, see it delivered', async () => {
    const published = await cli(
      'publish',
      '--customer',
      'acme',
      '--event',
      'CHECK_COMPLETED',
      '--data',
      '{"checkId":"chk_1"}',
    );
    expect(published).toMatchObject({ code: 0, stderr: '' });
    const webhookId = Number(/accepted: webhookId (\d+)/.exec(published.stdout)?.[1]);
    const [first] = await h.receiver.waitForRequests(1, 10_000);
    expect(JSON.parse(first!.body)).toMatchObject({
      id: webhookId,
      event: 'CHECK_COMPLETED',
      data: { checkId: 'chk_1' },
    });

    await waitForStatus(h, 'acme', (status) => status.attempts === 1);
    const stalled = JSON.parse((await cli('status', '--customer', 'acme', '--json')).stdout);
    expect(stalled).toMatchObject({ customerId: 'acme', queue: 'stalled', pending: 1, attempts: 1 });
    const text = await cli('status', '--customer', 'acme');
    expect(text.stdout).toContain('customer acme: stalled, 1 pending, webhook enabled');
    expect(text.stdout).toContain(`${webhookId} CHECK_COMPLETED: HTTP 500, attempt 1`);

    const retried = await cli('retry', '--customer', 'acme');
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('retry requested');
    await h.receiver.waitForRequests(2, 10_000);

    const list = await cli('status');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^CUSTOMER +QUEUE +PENDING/);
    expect(list.stdout).toMatch(/\nacme +(empty|waiting) /);
  });

  test('errors are one line on stderr with exit 1', async () => {
    const unknown = await cli('status', '--customer', 'nobody');
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/^hookpost: NOT_FOUND: unknown customer nobody\n$/);
    const badData = await cli('publish', '--customer', 'acme', '--event', 'X', '--data', '{oops');
    expect(badData.code).toBe(1);
    expect(badData.stderr).toContain("option '--data <json>' argument '{oops' is invalid. not JSON");
    const elsewhere = await runCli(['status', '--customer', 'acme'], {
      ...env,
      HOOKPOST_NAMESPACE: 'nobody',
    });
    expect(elsewhere.stderr).toContain('no Hookpost service answers on nobody.status');
    const noMode = await runCli(['replay'], env);
    expect(noMode.stderr).toContain('replay needs one of --verify, --rebuild or --as-of');
  });

  test.each(['serve', 'replay', 'status', 'retry', 'publish', 'demo'])('%s --help', async (command) => {
    const help = await runCli([command, '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`Usage: hookpost ${command}`);
  });
});

describe('hookpost demo', () => {
  test('runs embedded for --duration seconds, delivers, and stops by itself', async () => {
    const run = await runCli(['demo', '--duration', '5'], { NATS_SERVER_BIN: natsServerBin() }, 40_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('CUSTOMER  QUEUE');
    const delivered = Number(/demo stopped: \d+ published, (\d+) delivered/.exec(run.stdout)?.[1]);
    expect(delivered).toBeGreaterThan(0);
  });
});
