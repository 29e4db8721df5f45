import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './column-transformers.js';

/** A row of `customer_secrets`: a webhook secret sealed with AES-256-GCM, never the plain text. */
@Entity({ name: 'customer_secrets' })
export class CustomerSecretRow {
  @PrimaryColumn({ name: 'customer_id', type: 'text', primaryKeyConstraintName: 'customer_secrets_pkey' })
  customerId!: string;

  /** base64 of iv | auth tag | ciphertext. */
  @Column({ type: 'text' })
  ciphertext!: string;

  /** Which key sealed it, so a key rotation can find the rows still sealed with the old key. */
  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  /** The secret the last rotation replaced, sealed the same way; null without one. */
  @Column({ name: 'previous_ciphertext', type: 'text', nullable: true })
  previousCiphertext!: string | null;

  @Column({ name: 'previous_key_id', type: 'text', nullable: true })
  previousKeyId!: string | null;

  /** Until when (epoch ms) the previous secret still signs. */
  @Column({ name: 'previous_expires_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  previousExpiresAt!: number | null;

  @Column({ name: 'updated_at', type: 'bigint', transformer: bigintAsNumber })
  updatedAt!: number;
}
