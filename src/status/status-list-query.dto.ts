import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { IntegerQuery } from '../http/integer-input.js';
import { CUSTOMER_ID_PATTERN, type QueueState } from '../../libs/domain/index.js';
import type { SnapshotOrder } from '../../libs/event-store/index.js';

/** `after` is a customerId, or with order=oldest `<oldestPendingAt>.<customerId>` (the `next` of a page). */
const STATUS_AFTER_PATTERN = /^(\d{1,16}\.)?[A-Za-z0-9_-]{1,64}$/;

/** ?prefix=&queue=&order=&after=&limit= of the all-customers status list. */
export class StatusListQueryDto {
  @IsOptional()
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'prefix must be 1-64 characters of A-Z, a-z, 0-9, _ and -' })
  prefix?: string;

  @IsOptional()
  @IsIn(['empty', 'waiting', 'stalled'])
  queue?: QueueState;

  @IsOptional()
  @IsIn(['id', 'oldest'])
  order?: SnapshotOrder;

  @IsOptional()
  @IsString()
  @Matches(STATUS_AFTER_PATTERN, { message: 'after must be the `next` of the previous page' })
  after?: string;

  @IsOptional()
  @IntegerQuery(1, 1000)
  limit?: number;
}
