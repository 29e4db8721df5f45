import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './app-config.js';

/** The admin token and the at-rest key, from the environment or generated into the data dir. */
export interface ServiceSecrets {
  readonly adminToken: string;
  readonly encryptionKey: Buffer;
  /** Signs status-page links; derived from the encryption key, so rotating that key revokes every link. */
  readonly linkSigningKey: Buffer;
  /** Set when the admin token was generated on this start: print it once. */
  readonly generatedAdminToken: boolean;
}

/** Reads or creates the service's secrets. The key must be 32 bytes, given as hex or base64. */
export async function loadServiceSecrets(
  dataDir: string,
  fromEnv: { adminToken: string | null; encryptionKey: string | null },
): Promise<ServiceSecrets> {
  await mkdir(dataDir, { recursive: true });
  const token =
    fromEnv.adminToken ??
    (await readOrCreate(join(dataDir, 'admin-token'), () => randomBytes(24).toString('base64url')));
  const keyText =
    fromEnv.encryptionKey ??
    (await readOrCreate(join(dataDir, 'encryption-key'), () => randomBytes(32).toString('hex'))).value;
  const encryptionKey = parseKey(keyText);
  return {
    adminToken: typeof token === 'string' ? token : token.value,
    encryptionKey,
    linkSigningKey: deriveLinkSigningKey(encryptionKey),
    generatedAdminToken: typeof token !== 'string' && token.created,
  };
}

/**
 * A key of its own for link signatures (HKDF-SHA256), so no new secret has to be configured and a
 * leaked link key says nothing about the key that seals endpoint secrets.
 */
export function deriveLinkSigningKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'hookpost status links', 32));
}

function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new ConfigError('HOOKPOST_ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64');
  }
  return key;
}

async function readOrCreate(
  path: string,
  create: () => string,
): Promise<{ value: string; created: boolean }> {
  try {
    return { value: (await readFile(path, 'utf8')).trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
    const value = create();
    await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { value, created: true };
  }
}
