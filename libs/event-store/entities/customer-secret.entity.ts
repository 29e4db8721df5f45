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

  @Column({ name: 'updated_at', type: 'bigint', transformer: bigintAsNumber })
  updatedAt!: number;
}
