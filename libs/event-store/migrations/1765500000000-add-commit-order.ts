import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbound feed's order without a global lock: each event keeps the id of the transaction that
 * wrote it (`txid`), and the feed reads in (txid, position) order, only transactions older than
 * every one still open (docs/architecture.md, "Commit order"). Its cursor is the pair, so the
 * relay checkpoint gets a txid too.
 *
 * Events written before this migration get txid 0: they stay before every new one, in position
 * order, which is the order they committed in (the old lock). A checkpoint at position p becomes
 * (0, p), which is exactly what it meant. The constant default first, then the real one: the first
 * `ADD COLUMN` fills old rows without rewriting the table.
 *
 * On PostgreSQL txid is `pg_current_xact_id()` kept as bigint (TypeORM has no xid8 type; an xid8
 * passes 2^63 only after 2^31 wraparounds), through the function `event_txid()` so that the
 * column's default reads back as the entity states it. It is the column's default, so any writer of
 * `events` (an older release during an upgrade too) sets it. SQLite has one writer at a time: positions commit in
 * order there, txid stays 0 and the feed reads by position (no index needed).
 */
export class AddCommitOrder1765500000000 implements MigrationInterface {
  readonly name = 'AddCommitOrder1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.query('ALTER TABLE "events" ADD COLUMN "txid" bigint NOT NULL DEFAULT 0');
    if (postgres) {
      await queryRunner.query(
        `CREATE FUNCTION event_txid() RETURNS bigint LANGUAGE sql VOLATILE
          AS 'SELECT pg_current_xact_id()::text::bigint'`,
      );
      await queryRunner.query('ALTER TABLE "events" ALTER COLUMN "txid" SET DEFAULT event_txid()');
      await queryRunner.query('CREATE INDEX "events_feed_order" ON "events" ("txid", "position")');
    }
    await queryRunner.query('ALTER TABLE "relay_checkpoints" ADD COLUMN "txid" bigint NOT NULL DEFAULT 0');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.query('ALTER TABLE "relay_checkpoints" DROP COLUMN "txid"');
    if (postgres) {
      await queryRunner.query('DROP INDEX "events_feed_order"');
    }
    await queryRunner.query('ALTER TABLE "events" DROP COLUMN "txid"');
    if (postgres) {
      await queryRunner.query('DROP FUNCTION event_txid()');
    }
  }
}
