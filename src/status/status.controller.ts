import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { StatusListQueryDto } from './status-list-query.dto.js';
import { StatusService, type StatusPage } from './status.service.js';

/** Every customer's status row, filterable by queue state, in customerId order, paged by keyset. */
@ApiTags('status')
@ApiBearerAuth()
@Controller('v1/status')
export class StatusController {
  constructor(private readonly statuses: StatusService) {}

  @Get()
  @ApiQuery({ name: 'queue', required: false, enum: ['empty', 'waiting', 'stalled'] })
  @ApiQuery({ name: 'after', required: false, description: 'the last customerId of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  list(@Query() query: StatusListQueryDto): Promise<StatusPage> {
    return this.statuses.list(query);
  }
}
