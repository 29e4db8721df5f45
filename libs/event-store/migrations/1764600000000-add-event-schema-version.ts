import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Records the schema version each event was written with, so replay validates it against the right
 * schema and upcasts old shapes (libs/domain/event-schemas.ts). Rows from before are version 1.
 */
export class AddEventSchemaVersion1764600000000 implements MigrationInterface {
  readonly name = 'AddEventSchemaVersion1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "events" ADD COLUMN "schema_version" integer NOT NULL DEFAULT 1');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "events" DROP COLUMN "schema_version"');
  }
}
