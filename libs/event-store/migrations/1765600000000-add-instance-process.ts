import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets an instance free the leases of a dead neighbour at once instead of waiting them out
 * (libs/ownership/local-process.ts): each heartbeat row names the kernel boot and pid namespace its
 * process runs in (`host`), its process id, a token drawn when it started (`life`), so that a
 * reused pid is never taken for the dead process, and the `renewed_at` it wrote with them
 * (`life_at`). An older release leaves them alone when it writes its heartbeat, so its `renewed_at`
 * moves past `life_at`: such a row is waited out, as before, even if a newer life wrote it once.
 */
export class AddInstanceProcess1765600000000 implements MigrationInterface {
  readonly name = 'AddInstanceProcess1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "cluster_instances" ADD COLUMN "host" text');
    await queryRunner.query('ALTER TABLE "cluster_instances" ADD COLUMN "pid" integer');
    await queryRunner.query('ALTER TABLE "cluster_instances" ADD COLUMN "life" text');
    await queryRunner.query('ALTER TABLE "cluster_instances" ADD COLUMN "life_at" bigint');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "cluster_instances" DROP COLUMN "life_at"');
    await queryRunner.query('ALTER TABLE "cluster_instances" DROP COLUMN "life"');
    await queryRunner.query('ALTER TABLE "cluster_instances" DROP COLUMN "pid"');
    await queryRunner.query('ALTER TABLE "cluster_instances" DROP COLUMN "host"');
  }
}
