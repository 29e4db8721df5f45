import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import {
  CUSTOMER_ID_PATTERN,
  statusView,
  type CustomerStatus,
  type QueueState,
} from '../../libs/domain/index.js';
import { HookpostCore } from '../core/hookpost-core.js';

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

/** Every customer's status row, filterable by queue state, in customerId order, paged by keyset. */
@ApiTags('status')
@ApiBearerAuth()
@Controller('v1/status')
export class StatusController {
  constructor(private readonly core: HookpostCore) {}

  @Get()
  @ApiQuery({ name: 'queue', required: false, enum: ['empty', 'waiting', 'stalled'] })
  @ApiQuery({ name: 'after', required: false, description: 'the last customerId of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  async list(
    @Query() query: StatusListQueryDto,
  ): Promise<{ customers: CustomerStatus[]; next: string | null }> {
    const limit = query.limit ?? 100;
    const rows = await this.core.store.listSnapshots({
      limit,
      ...(query.queue === undefined ? {} : { queue: query.queue }),
      ...(query.after === undefined ? {} : { afterCustomerId: query.after }),
    });
    const customers = rows.map((row) =>
      statusView(row.customerId, row.state, row.pending, this.core.config.delivery),
    );
    return { customers, next: rows.length === limit ? (rows.at(-1)?.customerId ?? null) : null };
  }
}
