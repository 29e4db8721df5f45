import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  CustomerStatusDto,
  ErrorBodyDto,
  RotationViewDto,
  WebhookViewDto,
} from '../http/api-responses.dto.js';
import { LinkRoute } from '../http/route-access.js';
import type { CustomerStatus } from '../../libs/domain/index.js';
import { PurgeDto, RotateSecretDto, WebhookConfigDto } from './webhook-config.dto.js';
import { WebhookService, type RotationView, type WebhookView } from './webhook.service.js';

/** A customer's endpoint, its status view, Retry and Refresh. */
@ApiTags('webhook')
@ApiBearerAuth()
@ApiBadRequestResponse({ type: ErrorBodyDto })
@ApiUnauthorizedResponse({ type: ErrorBodyDto })
@ApiNotFoundResponse({ type: ErrorBodyDto, description: 'unknown customer' })
@Controller('v1/customers/:customerId/webhook')
export class WebhookController {
  constructor(private readonly webhooks: WebhookService) {}

  @Put()
  @ApiOkResponse({ type: WebhookViewDto })
  configure(@Param('customerId') customerId: string, @Body() body: WebhookConfigDto): Promise<WebhookView> {
    return this.webhooks.configure(customerId, body);
  }

  @Get()
  @ApiOkResponse({ type: WebhookViewDto })
  get(@Param('customerId') customerId: string): Promise<WebhookView> {
    return this.webhooks.get(customerId);
  }

  @Get('status')
  @LinkRoute('read')
  @ApiOkResponse({ type: CustomerStatusDto })
  status(@Param('customerId') customerId: string): Promise<CustomerStatus> {
    return this.webhooks.status(customerId);
  }

  @Post('retry')
  @LinkRoute('act')
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: CustomerStatusDto,
    description: 'the head is attempted now, ignoring the backoff',
  })
  retry(@Param('customerId') customerId: string): Promise<CustomerStatus> {
    return this.webhooks.retry(customerId);
  }

  @Post('purge')
  @HttpCode(200)
  purge(@Param('customerId') customerId: string, @Body() body: PurgeDto) {
    return this.webhooks.purge(customerId, body.throughWebhookId);
  }

  @Post('secret/rotate')
  @HttpCode(200)
  @ApiOkResponse({
    type: RotationViewDto,
    description: 'the new secret signs first, the previous one after it until previousSecretExpiresAt',
  })
  rotateSecret(
    @Param('customerId') customerId: string,
    @Body() body: RotateSecretDto,
  ): Promise<RotationView> {
    return this.webhooks.rotateSecret(customerId, body);
  }

  @Post('refresh')
  @LinkRoute('act')
  @HttpCode(200)
  @ApiOkResponse({
    type: CustomerStatusDto,
    description: 'recent failures cleared; queue and backoff untouched',
  })
  refresh(@Param('customerId') customerId: string): Promise<CustomerStatus> {
    return this.webhooks.refresh(customerId);
  }
}
