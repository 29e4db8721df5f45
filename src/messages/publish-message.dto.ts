import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';
import {
  CUSTOMER_ID_PATTERN,
  EVENT_TYPE_PATTERN,
  IDEMPOTENCY_KEY_PATTERN,
  IDEMPOTENCY_KEY_RULE,
} from '../../libs/domain/index.js';
import { RawJson } from '../core/raw-json.js';

/** A message for one customer, as POST /v1/customers/{id}/messages takes it. */
export class MessageBodyDto {
  @ApiProperty({ example: 'CHECK_COMPLETED', pattern: EVENT_TYPE_PATTERN.source })
  @IsString()
  @Matches(EVENT_TYPE_PATTERN, { message: 'event must be 1-100 characters of A-Z, 0-9, _ and .' })
  event!: string;

  @ApiProperty({ example: { checkId: 'chk_123', result: 'PASS' } })
  @IsObject()
  @RawJson()
  data!: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'check-chk_123-completed',
    description: 'same key within the dedupe window = same webhookId',
  })
  @IsOptional()
  @IsString()
  @Matches(IDEMPOTENCY_KEY_PATTERN, { message: IDEMPOTENCY_KEY_RULE })
  idempotencyKey?: string;
}

/** A message with its customer, as the NATS `<ns>.publish` request takes it. */
export class PublishMessageDto extends MessageBodyDto {
  @ApiProperty({ example: 'acme' })
  @IsString()
  @Matches(CUSTOMER_ID_PATTERN, { message: 'customerId must be 1-64 characters of A-Z, a-z, 0-9, _ and -' })
  customerId!: string;
}

/** Up to 1,000 messages in one `<ns>.publish.batch` request. */
export class PublishBatchDto {
  // IsObject on each: ValidateNested alone takes an array in place of a message and checks nothing in it.
  @IsArray()
  @IsObject({ each: true, message: 'each of messages must be a message object' })
  @ValidateNested({ each: true })
  @Type(() => PublishMessageDto)
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  messages!: PublishMessageDto[];
}
