import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbound relay's own lease (libs/ownership/relay-lease.ts): one row per namespace with its
 * holder, epoch and expiry. In the log's database because the relay's checkpoint write checks the
 * epoch in its own transaction (the fence); created on SQLite too, where it stays empty (one
 * instance, a lock file).
 */
export class AddRelayLeases1765400000000 implements MigrationInterface {
  readonly name = 'AddRelayLeases1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "relay_leases" ("namespace" text NOT NULL, "owner" text,
        "epoch" bigint NOT NULL DEFAULT 0, "expires_at" bigint NOT NULL DEFAULT 0,
        "renewed_at" bigint NOT NULL DEFAULT 0,
        CONSTRAINT "relay_leases_pkey" PRIMARY KEY ("namespace"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "relay_leases"');
  }
}
