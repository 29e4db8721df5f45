import type { DataSource } from 'typeorm';
import type { WorkLock } from './serial-lock.js';
import type { SqlDialect } from './sql-dialect.js';

const KEY_CHECK = 'encryption-key-id';

/** The service's encryption key is not the one that sealed this database's secrets. */
export class EncryptionKeyMismatchError extends Error {
  override readonly name = 'EncryptionKeyMismatchError';

  constructor(expected: string, actual: string) {
    super(
      `HOOKPOST_ENCRYPTION_KEY is not the key this database's secrets were sealed with ` +
        `(its key id is ${actual}, the database's ${expected}): give every instance the same key`,
    );
  }
}

/**
 * Keeps the key's public id (SecretCipher.keyId, an HMAC of a constant) in `event_log_meta` and
 * refuses a different one, so an instance with the wrong key stops at start instead of failing
 * its first delivery. A database from before the check takes the key of a stored secret, if any.
 */
export async function checkEncryptionKey(
  dataSource: DataSource,
  dialect: SqlDialect,
  lock: WorkLock,
  keyId: string,
): Promise<void> {
  const stored = await lock.run(async () => {
    const sealed = await dataSource.query<Array<{ key_id: string }>>(
      'SELECT "key_id" FROM "customer_secrets" ORDER BY "updated_at" DESC LIMIT 1',
    );
    await dataSource.query(
      `INSERT INTO "event_log_meta" ("key", "value") VALUES (${dialect.list(2)}) ON CONFLICT ("key") DO NOTHING`,
      [KEY_CHECK, sealed[0]?.key_id ?? keyId],
    );
    return dataSource.query<Array<{ value: string }>>(
      `SELECT "value" FROM "event_log_meta" WHERE "key" = ${dialect.list(1)}`,
      [KEY_CHECK],
    );
  });
  const expected = stored[0]?.value ?? keyId;
  if (expected !== keyId) {
    throw new EncryptionKeyMismatchError(expected, keyId);
  }
}
