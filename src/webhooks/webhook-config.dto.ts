import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import {
  DEFAULT_ROTATION_OVERLAP_SECONDS,
  EVENT_TYPE_PATTERN,
  MAX_ROTATION_OVERLAP_SECONDS,
  WEBHOOK_SECRET_PATTERN,
} from '../../libs/domain/index.js';
import { IsEndpointUrl, IsWebhookSecret } from './webhook-inputs.js';

/** PUT /v1/customers/{id}/webhook: the customer's endpoint. */
export class WebhookConfigDto {
  @ApiProperty({ example: 'https://hooks.acme.example/passfort' })
  @IsEndpointUrl()
  url!: string;

  @ApiProperty({
    example: 'whsec_5f2c8e0d9a',
    minLength: 8,
    maxLength: 256,
    pattern: WEBHOOK_SECRET_PATTERN.source,
    writeOnly: true,
  })
  @IsWebhookSecret()
  secret!: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  batching?: boolean;

  @ApiPropertyOptional({ example: ['CHECK_COMPLETED'], description: 'absent = all event types' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(EVENT_TYPE_PATTERN, { each: true })
  events?: string[];

  @ApiPropertyOptional({
    default: true,
    description: 'false for receivers (e.g. Salesforce) that reject an Authorization header',
  })
  @IsOptional()
  @IsBoolean()
  authorizationHeader?: boolean;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  acceptAny2xx?: boolean;

  @ApiPropertyOptional({ example: 'eu' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_-]{1,32}$/)
  region?: string;
}

/** POST /v1/customers/{id}/webhook/purge: all pending messages, or those up to a webhookId. */
export class PurgeDto {
  @ApiPropertyOptional({ example: 1042, description: 'purge only pending messages with ids up to this one' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  throughWebhookId?: number;
}

/** POST /v1/customers/{id}/webhook/secret/rotate: a new secret, with the old one signing meanwhile. */
export class RotateSecretDto {
  @ApiPropertyOptional({
    example: 'whsec_9d8c7b6a5f4e3d2c',
    minLength: 8,
    maxLength: 256,
    pattern: WEBHOOK_SECRET_PATTERN.source,
    writeOnly: true,
    description: 'the new secret (visible ASCII); absent = a strong one is generated and returned once',
  })
  @IsOptional()
  @IsWebhookSecret()
  secret?: string;

  @ApiPropertyOptional({
    default: DEFAULT_ROTATION_OVERLAP_SECONDS,
    minimum: 0,
    maximum: MAX_ROTATION_OVERLAP_SECONDS,
    description: 'how long the previous secret still signs, after the new one',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ROTATION_OVERLAP_SECONDS)
  overlapSeconds?: number;
}
