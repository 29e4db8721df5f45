import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { IntegerQuery } from '../http/integer-input.js';
import { CUSTOMER_ID_PATTERN, type QueueState } from '../../libs/domain/index.js';

/** ?queue=&after=&limit= of the all-customers status list. */
export class StatusListQueryDto {
  @IsOptional()
  @IsIn(['empty', 'waiting', 'stalled'])
  queue?: QueueState;

  @IsOptional()
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN)
  after?: string;

  @IsOptional()
  @IntegerQuery(1, 1000)
  limit?: number;
}
