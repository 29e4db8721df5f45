import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { StatusListQueryDto } from './status-list-query.dto.js';
import type { QueueSummary } from '../../libs/event-store/index.js';
import { StatusService, type StatusPage } from './status.service.js';

/**
 * Every customer's status row (with its oldest pending message's age), filterable by queue state
 * and id prefix, in customerId order or oldest pending first, paged by keyset; and the counts per state.
 */
@ApiTags('status')
@ApiBearerAuth()
@Controller('v1/status')
export class StatusController {
  constructor(private readonly statuses: StatusService) {}

  @Get()
  @ApiQuery({ name: 'prefix', required: false, description: 'only customers whose id starts with this' })
  @ApiQuery({ name: 'queue', required: false, enum: ['empty', 'waiting', 'stalled'] })
  @ApiQuery({
    name: 'order',
    required: false,
    enum: ['id', 'oldest'],
    description: 'id (default), or oldest pending message first (customers with pending messages only)',
  })
  @ApiQuery({ name: 'after', required: false, description: 'the `next` of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  list(@Query() query: StatusListQueryDto): Promise<StatusPage> {
    return this.statuses.list(query);
  }

  /** `{ customers: { empty, waiting, stalled }, pending }`: the counts of the operator overview. */
  @Get('summary')
  summary(): Promise<QueueSummary> {
    return this.statuses.summary();
  }
}
