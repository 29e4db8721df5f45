import { Controller, Get, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ApiError } from '../core/api-error.js';
import { AuditService } from './audit.service.js';

/** ?after=&limit= of the audit route. */
export class AuditQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
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
    @Param(
      'webhookId',
      new ParseIntPipe({
        exceptionFactory: () => ApiError.badRequest('webhookId must be a positive integer'),
      }),
    )
    webhookId: number,
  ) {
    if (webhookId < 1) {
      throw ApiError.badRequest('webhookId must be a positive integer');
    }
    return this.audit.webhook(customerId, webhookId);
  }
}
