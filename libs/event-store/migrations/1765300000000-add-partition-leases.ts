import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Active-active delivery (libs/ownership): the partition count each namespace was started with,
 * one lease row per partition (its owner, epoch and expiry) and one heartbeat row per live
 * instance. In the log's database because the append checks a lease's epoch in its own
 * transaction (the fence); created on SQLite too, where one instance delivers and they stay empty.
 */
export class AddPartitionLeases1765300000000 implements MigrationInterface {
  readonly name = 'AddPartitionLeases1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "cluster_settings" ("namespace" text NOT NULL, "partitions" integer NOT NULL,
        CONSTRAINT "cluster_settings_pkey" PRIMARY KEY ("namespace"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "partition_leases" ("namespace" text NOT NULL, "partition" integer NOT NULL,
        "owner" text, "epoch" bigint NOT NULL DEFAULT 0, "expires_at" bigint NOT NULL DEFAULT 0,
        "renewed_at" bigint NOT NULL DEFAULT 0,
        CONSTRAINT "partition_leases_pkey" PRIMARY KEY ("namespace", "partition"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "cluster_instances" ("namespace" text NOT NULL, "instance_id" text NOT NULL,
        "renewed_at" bigint NOT NULL, "expires_at" bigint NOT NULL,
        CONSTRAINT "cluster_instances_pkey" PRIMARY KEY ("namespace", "instance_id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "cluster_instances"');
    await queryRunner.query('DROP TABLE "partition_leases"');
    await queryRunner.query('DROP TABLE "cluster_settings"');
  }
}
