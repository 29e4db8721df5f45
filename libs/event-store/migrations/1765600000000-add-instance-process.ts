import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets an instance free the leases of a dead neighbour at once instead of waiting them out
 * (libs/ownership/local-process.ts): each heartbeat row names the kernel boot and pid namespace its
 * process runs in (`host`), its process id, and a token drawn when it started (`life`), so that a
 * reused pid is never taken for the dead process. Rows an older release writes leave them null and
 * are waited out, as before.
 */
export class AddInstanceProcess1765600000000 implements MigrationInterface {
  readonly name = 'AddInstanceProcess1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "cluster_instances" ADD COLUMN "host" text');
    await queryRunner.query('ALTER TABLE "cluster_instances" ADD COLUMN "pid" integer');
    await queryRunner.query('ALTER TABLE "cluster_instances" ADD COLUMN "life" text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "cluster_instances" DROP COLUMN "life"');
    await queryRunner.query('ALTER TABLE "cluster_instances" DROP COLUMN "pid"');
    await queryRunner.query('ALTER TABLE "cluster_instances" DROP COLUMN "host"');
  }
}
