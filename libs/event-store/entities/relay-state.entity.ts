import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './column-transformers.js';

/** A row of `event_log_meta`: facts about the log itself (its random id). */
@Entity({ name: 'event_log_meta' })
export class EventLogMetaRow {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'event_log_meta_pkey' })
  key!: string;

  @Column({ type: 'text' })
  value!: string;
}

/** A row of `relay_checkpoints`: the feed cursor (txid, position) a relay has seen acknowledged. */
@Entity({ name: 'relay_checkpoints' })
export class RelayCheckpointRow {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'relay_checkpoints_pkey' })
  name!: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  position!: number;

  /** The cursor's transaction id (0 before migration 1765500000000, and on SQLite). */
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  txid!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: bigintAsNumber })
  updatedAt!: number;
}
