import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
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
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
