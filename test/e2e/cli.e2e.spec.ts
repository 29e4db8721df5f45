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
    let acmeRequests = 0;
    h.receiver.respondWith((request) =>
      request.path === '/acme' && ++acmeRequests === 1
        ? { status: 500, body: 'first one fails' }
        : { status: 200, body: '{}' },
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

  test('publish in a trace: --traceparent, or TRACEPARENT and TRACESTATE as a script inside a trace has them', async () => {
    await h.configure('traced');
    const [flag, fromEnv] = ['0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736'];
    const published = [
      await cli(...publishTraced(), '--traceparent', `00-${flag}-b7ad6b7169203331-01`),
      await runCli(publishTraced(), {
        ...env,
        TRACEPARENT: `00-${fromEnv}-00f067aa0ba902b7-01`,
        TRACESTATE: 'vendor=cli',
      }),
    ];
    expect(published.map((run) => run.code)).toEqual([0, 0]);
    await h.receiver.waitFor((all) => all.filter((r) => r.path === '/traced').length >= 2, 10_000);
    const sent = h.receiver.requests.filter((r) => r.path === '/traced');
    expect(sent.map((r) => [r.headers.traceparent, r.headers.tracestate])).toEqual([
      [`00-${flag}-b7ad6b7169203331-01`, undefined],
      [`00-${fromEnv}-00f067aa0ba902b7-01`, 'vendor=cli'],
    ]);

    const badFlag = await cli(...publishTraced(), '--traceparent', 'not-one');
    expect(badFlag).toMatchObject({ code: 1 });
    expect(badFlag.stderr).toContain("option '--traceparent <value>' argument 'not-one' is invalid");
    const badEnv = await runCli(publishTraced(), { ...env, TRACEPARENT: '00-zz' });
    expect(badEnv).toMatchObject({ code: 1 });
    expect(badEnv.stderr).toContain('TRACEPARENT is not a W3C traceparent');
    // Neither bad one was published: a sentinel published after them is the third to arrive.
    const sentinel = Number(/webhookId (\d+)/.exec((await cli(...publishTraced())).stdout)?.[1]);
    const traced = () => h.receiver.requests.filter((r) => r.path === '/traced');
    await h.receiver.waitFor(() => traced().some((r) => JSON.parse(r.body).id === sentinel), 10_000);
    expect(traced().map((r) => JSON.parse(r.body).id)).toEqual([
      JSON.parse(sent[0]!.body).id,
      JSON.parse(sent[1]!.body).id,
      sentinel,
    ]);
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

function publishTraced(): string[] {
  return ['publish', '--customer', 'traced', '--event', 'CHECK_COMPLETED'];
}

describe('hookpost demo', () => {
  test('runs embedded for --duration seconds, delivers, and stops by itself', async () => {
    const run = await runCli(['demo', '--duration', '5'], { NATS_SERVER_BIN: natsServerBin() }, 40_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('CUSTOMER  QUEUE');
    const delivered = Number(/demo stopped: \d+ published, (\d+) delivered/.exec(run.stdout)?.[1]);
    expect(delivered).toBeGreaterThan(0);
  });
});
