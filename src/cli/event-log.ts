import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveFileError } from '../../libs/archive/index.js';
import { EventStore } from '../../libs/event-store/index.js';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { CliError } from './cli-error.js';

/**
 * Opens the event log the service uses: DATABASE_URL, else the SQLite file in HOOKPOST_DATA_DIR,
 * without the secrets' key (replay never reads a secret). A missing SQLite file is an error, not a new empty log.
 */
export async function openEventLog(config: AppConfig): Promise<EventStore> {
  // The same file name as HookpostCore.open.
  const sqlitePath = join(config.dataDir, 'hookpost.sqlite');
  if (config.databaseUrl === null && !existsSync(sqlitePath)) {
    throw new CliError(
      `no event log at ${sqlitePath}: set HOOKPOST_DATA_DIR or DATABASE_URL as for the service`,
    );
  }
  // Replay reads events and writes projection rows, never a secret: a throwaway key keeps it from
  // needing the service's key, or from generating one into a data dir it may not own.
  return EventStore.open({
    ...(config.databaseUrl === null ? { sqlitePath } : { databaseUrl: config.databaseUrl }),
    encryptionKey: randomBytes(32),
    checkKey: false, // nor record the throwaway key as the database's
  });
}

/**
 * Runs a command that reads the log (replay, archive) with the service's settings: the log opened
 * for it and closed after, an archive file that fails its check reported as the command's error.
 */
export async function withEventLog(
  work: (store: EventStore, config: AppConfig) => Promise<void>,
): Promise<void> {
  const config = loadConfig();
  const store = await openEventLog(config);
  try {
    await work(store, config);
  } catch (error) {
    if (error instanceof ArchiveFileError) {
      throw new CliError(error.message);
    }
    throw error;
  } finally {
    await store.close();
  }
}
