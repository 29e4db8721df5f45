import { Body, Controller, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorBodyDto } from '../http/api-responses.dto.js';
import { StatusLinkDto, StatusLinkRequestDto } from './status-link.dto.js';
import { StatusLinksService } from './status-links.service.js';

/** Links to a customer's status page that work without the admin token (admin token to issue one). */
@ApiTags('status page')
@ApiBearerAuth()
@ApiBadRequestResponse({ type: ErrorBodyDto })
@ApiUnauthorizedResponse({ type: ErrorBodyDto })
@ApiNotFoundResponse({ type: ErrorBodyDto, description: 'unknown customer' })
@Controller('v1/customers/:customerId/status-links')
export class StatusLinksController {
  constructor(private readonly links: StatusLinksService) {}

  @Post()
  @ApiCreatedResponse({ type: StatusLinkDto })
  issue(@Param('customerId') customerId: string, @Body() body: StatusLinkRequestDto): Promise<StatusLinkDto> {
    return this.links.issue(customerId, body);
  }
}
