import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { CustomerStatus } from '../../libs/domain/index.js';
import { PurgeDto, WebhookConfigDto } from './webhook-config.dto.js';
import { WebhookService, type WebhookView } from './webhook.service.js';

/** A customer's endpoint, its status view, Retry and Refresh. */
@ApiTags('webhook')
@ApiBearerAuth()
@Controller('v1/customers/:customerId/webhook')
export class WebhookController {
  constructor(private readonly webhooks: WebhookService) {}

  @Put()
  configure(@Param('customerId') customerId: string, @Body() body: WebhookConfigDto): Promise<WebhookView> {
    return this.webhooks.configure(customerId, body);
  }

  @Get()
  get(@Param('customerId') customerId: string): Promise<WebhookView> {
    return this.webhooks.get(customerId);
  }

  @Get('status')
  status(@Param('customerId') customerId: string): Promise<CustomerStatus> {
    return this.webhooks.status(customerId);
  }

  @Post('retry')
  @HttpCode(202)
  retry(@Param('customerId') customerId: string): Promise<CustomerStatus> {
    return this.webhooks.retry(customerId);
  }

  @Post('purge')
  @HttpCode(200)
  purge(@Param('customerId') customerId: string, @Body() body: PurgeDto) {
    return this.webhooks.purge(customerId, body.throughWebhookId);
  }

  @Post('refresh')
  @HttpCode(200)
  refresh(@Param('customerId') customerId: string): Promise<CustomerStatus> {
    return this.webhooks.refresh(customerId);
  }
}
