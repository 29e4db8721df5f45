import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';
import { initialState, type CustomerQueueState, type QueueState } from '../../domain/index.js';
import { bigintAsNumber, jsonText } from './column-transformers.js';

/** A snapshot stored before a state field existed reads with that field's initial value. */
export function parseStoredState(text: string): CustomerQueueState {
  return { ...initialState(), ...(JSON.parse(text) as Partial<CustomerQueueState>) };
}

const stateText: ValueTransformer = {
  to: (value: unknown) => jsonText.to(value) as unknown,
  from: (value: string | null): CustomerQueueState | null =>
    value === null ? null : parseStoredState(value),
};

/** A row of `customer_status`: the inline projection (snapshot) of one customer, written with its events. */
@Entity({ name: 'customer_status' })
@Index('customer_status_queue', ['queue', 'customerId'])
// Made by migration 1765200000000 with a byte-order collation on PostgreSQL, which TypeORM cannot describe.
@Index('customer_status_oldest', { synchronize: false })
@Index('customer_status_id_bytes', { synchronize: false })
export class CustomerStatusRow {
  @PrimaryColumn({ name: 'customer_id', type: 'text', primaryKeyConstraintName: 'customer_status_pkey' })
  customerId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text', transformer: stateText })
  state!: CustomerQueueState;

  @Column({ type: 'integer' })
  pending!: number;

  @Column({ type: 'text' })
  queue!: QueueState;

  @Column({ name: 'next_attempt_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  nextAttemptAt!: number | null;

  /**
   * When the oldest pending message was accepted (epoch ms), as of the row's last write; null when
   * nothing is pending, or (rows from before it was kept) not known yet.
   */
  @Column({ name: 'oldest_pending_at', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  oldestPendingAt!: number | null;

  @Column({ name: 'updated_at', type: 'bigint', transformer: bigintAsNumber })
  updatedAt!: number;
}
