import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log's first schema, written by hand so each database gets the right autoincrement key
 * (BIGSERIAL on PostgreSQL, INTEGER PRIMARY KEY AUTOINCREMENT on SQLite) and names the entities use.
 */
export class CreateEventStore1764000000000 implements MigrationInterface {
  readonly name = 'CreateEventStore1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    // SQLite only reuses rowids without AUTOINCREMENT; positions must never be reused.
    const position = postgres
      ? '"position" BIGSERIAL NOT NULL, CONSTRAINT "events_pkey" PRIMARY KEY ("position")'
      : '"position" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL';
    await queryRunner.query(
      `CREATE TABLE "events" (${position}, "customer_id" text NOT NULL, "version" integer NOT NULL,
        "type" text NOT NULL, "data" text NOT NULL, "recorded_at" bigint NOT NULL,
        CONSTRAINT "events_customer_version" UNIQUE ("customer_id", "version"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "customer_status" ("customer_id" text NOT NULL, "version" integer NOT NULL,
        "state" text NOT NULL, "pending" integer NOT NULL, "queue" text NOT NULL,
        "next_attempt_at" bigint, "updated_at" bigint NOT NULL,
        CONSTRAINT "customer_status_pkey" PRIMARY KEY ("customer_id"))`,
    );
    await queryRunner.query(
      'CREATE INDEX "customer_status_queue" ON "customer_status" ("queue", "customer_id")',
    );
    await queryRunner.query(
      `CREATE TABLE "customer_secrets" ("customer_id" text NOT NULL, "ciphertext" text NOT NULL,
        "key_id" text NOT NULL, "updated_at" bigint NOT NULL,
        CONSTRAINT "customer_secrets_pkey" PRIMARY KEY ("customer_id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "customer_secrets"');
    await queryRunner.query('DROP INDEX "customer_status_queue"');
    await queryRunner.query('DROP TABLE "customer_status"');
    await queryRunner.query('DROP TABLE "events"');
  }
}
