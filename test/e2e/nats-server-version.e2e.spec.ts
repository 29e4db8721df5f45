import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { runCli } from '../support/run-cli.js';

// Debian bookworm's nats-server, the kind of old server a fresh machine may have.
const OLD_NATS_SERVER = '/usr/sbin/nats-server';
const settings = (dataDir: string, natsUrl: string) => ({
  NATS_URL: natsUrl,
  HOOKPOST_DATA_DIR: dataDir,
  HOOKPOST_ADMIN_TOKEN: 'version-check-token',
  PORT: '0',
});

describe('the nats-server Hookpost runs on', () => {
  const dirs: string[] = [];
  const tempDir = async (name: string) => {
    const dir = await mkdtemp(join(tmpdir(), `hookpost-${name}-`));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  (existsSync(OLD_NATS_SERVER) ? describe : describe.skip)('an old server at NATS_URL', () => {
    let old: NatsServerHandle;
    beforeAll(async () => {
      old = await startNatsServer({ bin: OLD_NATS_SERVER });
    });
    afterAll(async () => {
      await old?.stop();
    });

    test('is refused at start: exit code 1 and one line naming the version found and the minimum', async () => {
      const run = await runCli(['serve'], settings(await tempDir('old'), old.url));
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^hookpost: nats-server 2\.9\.\d+ is too old: Hookpost needs 2\.12\.0 or newer \([^\n]*\)\n$/,
      );
    });
  });

  test('with no NATS at NATS_URL and no modern nats-server to start or fetch, the service stops with one line saying how to get one', async () => {
    // A PATH with the shell tools the finder script uses and only an old nats-server, and no apt-get.
    const bin = await tempDir('path');
    for (const tool of ['bash', 'sed', 'sort', 'head', 'awk']) {
      await symlink(`/usr/bin/${tool}`, join(bin, tool));
    }
    if (existsSync(OLD_NATS_SERVER)) {
      await symlink(OLD_NATS_SERVER, join(bin, 'nats-server'));
    }
    const run = await runCli(['serve'], {
      ...settings(await tempDir('bare'), `nats://127.0.0.1:${await freePort()}`),
      PATH: bin,
      HOME: await tempDir('home'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "hookpost: no nats-server 2.12.0 or newer: apt-get is not available to fetch one (install your distribution's nats-server, the release binary, or the nats container image, and set NATS_SERVER_BIN)\n",
    );
    expect(run.stdout).toContain('no nats-server 2.12.0+ on the PATH: fetching one into');
  });
});
