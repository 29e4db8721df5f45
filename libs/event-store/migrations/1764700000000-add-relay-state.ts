import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the outbound event relay keeps in the database: the log's identity (so a NATS stream filled
 * from another database is never mistaken for ours) and how far each relay has published.
 */
export class AddRelayState1764700000000 implements MigrationInterface {
  readonly name = 'AddRelayState1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "event_log_meta" ("key" text NOT NULL, "value" text NOT NULL,
        CONSTRAINT "event_log_meta_pkey" PRIMARY KEY ("key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "relay_checkpoints" ("name" text NOT NULL, "position" bigint NOT NULL,
        "updated_at" bigint NOT NULL, CONSTRAINT "relay_checkpoints_pkey" PRIMARY KEY ("name"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "relay_checkpoints"');
    await queryRunner.query('DROP TABLE "event_log_meta"');
  }
}
