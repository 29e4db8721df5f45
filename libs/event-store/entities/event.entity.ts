import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import { bigintAsNumber } from './column-transformers.js';

/**
 * A row of the `events` table: one customer-queue event. UNIQUE (customer_id, version) is the
 * fence against a second writer of the same stream.
 */
@Entity({ name: 'events' })
@Unique('events_customer_version', ['customerId', 'version'])
// The feed's order, made by migration 1765500000000 on PostgreSQL only (SQLite's feed reads by position).
@Index('events_feed_order', ['txid', 'position'])
export class EventRow {
  // BIGSERIAL on PostgreSQL, INTEGER PRIMARY KEY AUTOINCREMENT on SQLite (the migration decides).
  @PrimaryColumn({
    type: 'bigint',
    generated: 'increment',
    transformer: bigintAsNumber,
    primaryKeyConstraintName: 'events_pkey',
  })
  position!: number;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  type!: string;

  /** The event's data only, as JSON text (parsed by the reader, which also checks the type). */
  @Column({ type: 'text' })
  data!: string;

  @Column({ name: 'recorded_at', type: 'bigint', transformer: bigintAsNumber })
  recordedAt!: number;

  /** The version of the type's data schema it was written with (libs/domain/event-schemas.ts). */
  @Column({ name: 'schema_version', type: 'integer', default: 1 })
  schemaVersion!: number;

  /**
   * The id of the transaction that wrote it (`event_txid()`, i.e. `pg_current_xact_id()`, the
   * column's default on PostgreSQL, so every writer sets it; 0 on SQLite and for rows from before
   * migration 1765500000000): the feed's order.
   */
  @Column({
    type: 'bigint',
    default: () => 'event_txid()', // PostgreSQL; SQLite's column defaults to 0 (the migration's)
    transformer: bigintAsNumber,
    select: false,
  })
  txid!: number;
}
