import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { freePort } from '../../test/support/free-port.js';
import { natsServerBin, startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { connectNats, stopEmbedded, type NatsHandle } from './embedded-nats.js';

// Debian bookworm's nats-server: what a fresh machine of ours runs at NATS's default address.
const OLD_NATS_SERVER = '/usr/sbin/nats-server';

(existsSync(OLD_NATS_SERVER) ? describe : describe.skip)('an old nats-server at the default address', () => {
  let old: NatsServerHandle;
  let dataDir: string;
  const handles: NatsHandle[] = [];
  const lines: Array<{ msg: string; found?: string }> = [];
  const logger = pino({}, { write: (line: string) => lines.push(JSON.parse(line)) });

  beforeAll(async () => {
    old = await startNatsServer({ bin: OLD_NATS_SERVER });
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-fallback-'));
  });
  afterAll(async () => {
    for (const handle of handles.reverse()) {
      await handle.connection.close();
      await stopEmbedded(handle.embedded);
    }
    await old?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('with NATS_URL unset: Hookpost leaves it alone and starts its own modern server at the fallback address', async () => {
    const fallback = `nats://127.0.0.1:${await freePort()}`;
    const settings = {
      natsUrls: [old.url],
      natsFallbackUrl: fallback,
      dataDir,
      natsServerBin: natsServerBin(),
    };

    const started = await connectNats(settings, logger);
    handles.push(started);
    expect(started.servers).toEqual([fallback]);
    expect(started.embedded).not.toBeNull();
    expect(started.connection.info?.version).toMatch(/^2\.(1[2-9]|[2-9]\d)\./);
    const warning = lines.find((line) => line.msg.includes('older than 2.12.0'));
    expect(warning?.found).toMatch(/^2\.9\./);
    expect(warning?.msg).toContain(`uses its own at ${fallback}`);

    // A second start (or the CLI) finds the embedded server running there and starts no other.
    const again = await connectNats(settings, logger);
    handles.push(again);
    expect(again.servers).toEqual([fallback]);
    expect(again.embedded).toBeNull();
    expect(again.connection.info?.server_id).toBe(started.connection.info?.server_id);
  });

  test('named in NATS_URL (no fallback): the connection is to it, for the queue to refuse with the version line', async () => {
    const named = await connectNats(
      { natsUrls: [old.url], natsFallbackUrl: null, dataDir, natsServerBin: null },
      logger,
    );
    handles.push(named);
    expect(named.servers).toEqual([old.url]);
    expect(named.embedded).toBeNull();
    expect(named.connection.info?.version).toMatch(/^2\.9\./);
  });
});
