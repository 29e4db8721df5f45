import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Writes the embedded nats-server's configuration, `<dataDir>/nats-server.conf`, and returns its path.
 * JetStream keeps its store in `<dataDir>/nats` and syncs every write to disk before acknowledging it
 * (`sync_interval: always`), so an acknowledged message survives an OS crash or power loss too, not
 * only a process crash.
 */
export async function writeEmbeddedConfig(dataDir: string, host: string, port: number): Promise<string> {
  const storeDir = resolve(dataDir, 'nats');
  await mkdir(storeDir, { recursive: true });
  const path = join(dataDir, 'nats-server.conf');
  const config = [
    '# Written by Hookpost at each start of its embedded nats-server (edits are overwritten).',
    `host: ${JSON.stringify(host)}`,
    `port: ${port}`,
    'jetstream {',
    `  store_dir: ${JSON.stringify(storeDir)}`,
    '  sync_interval: always',
    '}',
    '',
  ].join('\n');
  await writeFile(path, config);
  return path;
}
