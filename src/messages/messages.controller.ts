import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorBodyDto, PublishedDto } from '../http/api-responses.dto.js';
import { isCustomerId, traceFromHeaders } from '../../libs/domain/index.js';
import { ApiError } from '../core/api-error.js';
import { MessageBodyDto } from './publish-message.dto.js';
import { PublishService } from './publish.service.js';

/** HTTP publishing: the same as the NATS `<ns>.publish` request, for platforms without NATS. */
@ApiTags('messages')
@ApiBearerAuth()
@Controller('v1/customers/:customerId/messages')
export class MessagesController {
  constructor(private readonly publisher: PublishService) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: PublishedDto })
  @ApiBadRequestResponse({ type: ErrorBodyDto })
  @ApiPayloadTooLargeResponse({ type: ErrorBodyDto, description: 'a message over 256 KiB' })
  publish(
    @Param('customerId') customerId: string,
    @Body() body: MessageBodyDto,
    @Headers('traceparent') traceparent?: string,
    @Headers('tracestate') tracestate?: string,
  ): Promise<{ webhookId: number }> {
    if (!isCustomerId(customerId)) {
      throw ApiError.badRequest('customerId must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
    }
    // A malformed traceparent is ignored (docs/contract.md, "Trace context").
    return this.publisher.publish({ ...body, customerId }, 'http', traceFromHeaders(traceparent, tracestate));
  }
}
