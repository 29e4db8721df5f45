import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A secret as stored: base64(iv | tag | ciphertext) and the id of the key that sealed it. */
export interface SealedSecret {
  readonly ciphertext: string;
  readonly keyId: string;
}

/** An endpoint's secrets as stored: the current one and, during a rotation, the one it replaced. */
export interface SealedSecrets {
  readonly current: SealedSecret;
  readonly previous: (SealedSecret & { readonly expiresAt: number }) | null;
}

/**
 * Seals webhook secrets with AES-256-GCM. The customerId is authenticated data, so a row copied
 * to another customer does not decrypt.
 */
export class SecretCipher {
  /** A short public fingerprint of the key (an HMAC of a constant, not the key itself). */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) {
      throw new RangeError(`encryptionKey must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    this.keyId = createHmac('sha256', key).update('hookpost/event-store/key-id').digest('hex').slice(0, 16);
  }

  /** Encrypts `secret` for `customerId` with a fresh random IV. */
  seal(customerId: string, secret: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(customerId, 'utf8'));
    const encrypted = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    const ciphertext = Buffer.concat([iv, cipher.getAuthTag(), encrypted]).toString('base64');
    return { ciphertext, keyId: this.keyId };
  }

  /** Decrypts a sealed secret; throws when the key, the customer or the bytes do not match. */
  open(customerId: string, sealed: SealedSecret): string {
    if (sealed.keyId !== this.keyId) {
      throw new Error(`secret of ${customerId} was sealed with key ${sealed.keyId}, not ${this.keyId}`);
    }
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(customerId, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  }
}
