import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataSource } from './data-source.js';
import { testKey } from './store-spec-support.js';

test('a SQLite file runs in WAL mode, fsyncs each commit and waits for locks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookpost-sqlite-settings-'));
  const dataSource = await openDataSource({ sqlitePath: join(dir, 'events.db'), encryptionKey: testKey });
  try {
    const pragma = async (name: string) =>
      Object.values((await dataSource.query<Array<Record<string, unknown>>>(`PRAGMA ${name}`))[0] ?? {})[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(2); // FULL
    expect(await pragma('busy_timeout')).toBe(5_000);
  } finally {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
