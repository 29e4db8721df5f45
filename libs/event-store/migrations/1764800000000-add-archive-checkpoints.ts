import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What `hookpost archive` leaves in the database for the events it moved out: per customer the
 * fold's state at its last archived event, that version and a hash chained over the archived
 * events (`archive_checkpoints`), and how far the log has been archived (`archive_progress`, one
 * row). Plain new tables: an existing database migrates without touching `events`.
 */
export class AddArchiveCheckpoints1764800000000 implements MigrationInterface {
  readonly name = 'AddArchiveCheckpoints1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "archive_checkpoints" ("customer_id" text NOT NULL, "version" integer NOT NULL,
        "position" bigint NOT NULL, "state" text NOT NULL, "chain" text NOT NULL, "at" bigint NOT NULL,
        CONSTRAINT "archive_checkpoints_pkey" PRIMARY KEY ("customer_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "archive_progress" ("name" text NOT NULL, "through_position" bigint NOT NULL,
        "events" bigint NOT NULL, "last_at" bigint NOT NULL, "updated_at" bigint NOT NULL,
        CONSTRAINT "archive_progress_pkey" PRIMARY KEY ("name"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "archive_progress"');
    await queryRunner.query('DROP TABLE "archive_checkpoints"');
  }
}
