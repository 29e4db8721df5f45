import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room for the secret a rotation replaced, sealed like the current one, and until when it still
 * signs. Null for every existing row: no rotation has happened yet.
 */
export class AddPreviousSecret1765100000000 implements MigrationInterface {
  readonly name = 'AddPreviousSecret1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    await queryRunner.query('ALTER TABLE "customer_secrets" ADD COLUMN "previous_ciphertext" text');
    await queryRunner.query('ALTER TABLE "customer_secrets" ADD COLUMN "previous_key_id" text');
    await queryRunner.query('ALTER TABLE "customer_secrets" ADD COLUMN "previous_expires_at" bigint');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "customer_secrets" DROP COLUMN "previous_expires_at"');
    await queryRunner.query('ALTER TABLE "customer_secrets" DROP COLUMN "previous_key_id"');
    await queryRunner.query('ALTER TABLE "customer_secrets" DROP COLUMN "previous_ciphertext"');
  }
}
