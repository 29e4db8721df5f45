import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IntegerQuery, IntegerParamPipe, MAX_EVENT_VERSION } from '../http/integer-input.js';
import { AuditService } from './audit.service.js';

/** ?after=&limit= of the audit route. */
export class AuditQueryDto {
  @IsOptional()
  @IntegerQuery(0, MAX_EVENT_VERSION)
  after?: number;

  @IsOptional()
  @IntegerQuery(1, 1000)
  limit?: number;
}

/** The audit trail of one customer and the history of one webhook. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/customers/:customerId')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('audit')
  @ApiQuery({ name: 'after', required: false, description: 'version to start after (0 = the beginning)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  events(@Param('customerId') customerId: string, @Query() query: AuditQueryDto) {
    return this.audit.events(customerId, query.after ?? 0, query.limit ?? 100);
  }

  @Get('webhooks/:webhookId')
  webhook(
    @Param('customerId') customerId: string,
    @Param('webhookId', new IntegerParamPipe('webhookId', 1, Number.MAX_SAFE_INTEGER)) webhookId: number,
  ) {
    return this.audit.webhook(customerId, webhookId);
  }
}
