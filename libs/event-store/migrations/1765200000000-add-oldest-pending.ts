import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The overview at 100,000 customers: each status row keeps when its oldest pending message was
 * accepted (so "oldest first" is an index scan, not one JetStream look-up per customer), and the
 * listings get indexes for keyset paging by id, by id prefix and by that age.
 *
 * On PostgreSQL the ids are indexed and compared in byte order (`COLLATE "C"`), as SQLite does:
 * a prefix is then one index range under any database collation, and pages follow the same order
 * on both. Rows from before keep a null age until their next write.
 */
export class AddOldestPending1765200000000 implements MigrationInterface {
  readonly name = 'AddOldestPending1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    const id = postgres ? '"customer_id" COLLATE "C"' : '"customer_id"';
    await queryRunner.query('ALTER TABLE "customer_status" ADD COLUMN "oldest_pending_at" bigint');
    if (postgres) {
      await queryRunner.query('DROP INDEX "customer_status_queue"');
      await queryRunner.query(`CREATE INDEX "customer_status_queue" ON "customer_status" ("queue", ${id})`);
      await queryRunner.query(`CREATE INDEX "customer_status_id_bytes" ON "customer_status" (${id})`);
    }
    await queryRunner.query(
      `CREATE INDEX "customer_status_oldest" ON "customer_status" ("queue", "oldest_pending_at", ${id})
        WHERE "oldest_pending_at" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.query('DROP INDEX "customer_status_oldest"');
    if (postgres) {
      await queryRunner.query('DROP INDEX "customer_status_id_bytes"');
      await queryRunner.query('DROP INDEX "customer_status_queue"');
      await queryRunner.query(
        'CREATE INDEX "customer_status_queue" ON "customer_status" ("queue", "customer_id")',
      );
    }
    await queryRunner.query('ALTER TABLE "customer_status" DROP COLUMN "oldest_pending_at"');
  }
}
