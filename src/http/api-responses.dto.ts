import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI shapes of the replies (the code returns plain objects of these shapes). */

export class ErrorDetailDto {
  @ApiProperty({ example: 'VALIDATION_FAILED' })
  code!: string;

  @ApiProperty({ example: 'secret: secret must be longer than or equal to 8 characters' })
  message!: string;

  @ApiPropertyOptional({
    example: [{ field: 'secret', problems: ['secret must be longer than or equal to 8 characters'] }],
  })
  details?: unknown;
}

export class ErrorBodyDto {
  @ApiProperty({ type: ErrorDetailDto })
  error!: ErrorDetailDto;
}

export class WebhookViewDto {
  @ApiProperty({ example: 'acme' }) customerId!: string;
  @ApiProperty({ example: 'https://hooks.acme.example/passfort' }) url!: string;
  @ApiProperty({ example: true }) enabled!: boolean;
  @ApiProperty({ example: false }) batching!: boolean;
  @ApiProperty({ example: null, nullable: true, type: [String] }) events!: string[] | null;
  @ApiProperty({ example: true }) authorizationHeader!: boolean;
  @ApiProperty({ example: false }) acceptAny2xx!: boolean;
  @ApiProperty({ example: null, nullable: true, type: String }) region!: string | null;
  @ApiProperty({
    example: '8e0d',
    description: 'the last four characters of the secret; the secret is never returned',
  })
  secretLast4!: string;
  @ApiPropertyOptional({ example: '3f1a', description: "during a rotation's overlap: the previous secret's" })
  previousSecretLast4?: string;
  @ApiPropertyOptional({
    example: 1764086400000,
    description: 'epoch ms: until then the previous secret signs too',
  })
  previousSecretExpiresAt?: number;
}

export class RotationViewDto {
  @ApiProperty({ example: 'Xk2Q', description: "the new secret's last four characters" })
  secretLast4!: string;
  @ApiProperty({ example: '8e0d', description: "the replaced secret's last four characters" })
  previousSecretLast4!: string;
  @ApiProperty({ example: 1764086400000, description: 'epoch ms: until then the replaced secret signs too' })
  previousSecretExpiresAt!: number;
  @ApiPropertyOptional({
    example: 'whsec_3q2-7wZ1cVbX0aYzQe4sKf9LmN8pRt6uGh5jDi2oWvA',
    description: 'only when generated: the new secret, returned this once',
  })
  secret?: string;
}

export class FailureRecordDto {
  @ApiProperty({ example: 1041 }) webhookId!: number;
  @ApiProperty({ example: 1041, description: 'last id of the request (batches carry a range)' })
  lastWebhookId!: number;
  @ApiProperty({ example: 'CHECK_COMPLETED' }) event!: string;
  @ApiProperty({ example: 3 }) attempts!: number;
  @ApiProperty({ example: 503, nullable: true, type: Number }) statusCode!: number | null;
  @ApiProperty({ example: 'HTTP 503: upstream unavailable' }) error!: string;
  @ApiProperty({ example: 1764000000000, description: 'epoch ms' }) failedAt!: number;
}

export class StepFailureDto {
  @ApiProperty({ example: 1764000000000, description: 'epoch ms: the first of the failed steps' })
  since!: number;
  @ApiProperty({ example: 4, description: 'consecutive failed steps' }) count!: number;
  @ApiProperty({ example: 'Connection terminated unexpectedly' }) error!: string;
}

export class CustomerStatusDto {
  @ApiProperty({ example: 'acme' }) customerId!: string;
  @ApiProperty({ enum: ['empty', 'waiting', 'stalled'], example: 'stalled' }) queue!: string;
  @ApiProperty({ example: 12 }) pending!: number;
  @ApiProperty({ example: true }) enabled!: boolean;
  @ApiProperty({ example: 1763999000000, nullable: true, type: Number }) lastProcessedAt!: number | null;
  @ApiProperty({ example: 1764000120000, nullable: true, type: Number }) nextAttemptAt!: number | null;
  @ApiProperty({ example: 3 }) attempts!: number;
  @ApiProperty({ type: [FailureRecordDto], description: 'at most 10, newest first' })
  recentFailures!: FailureRecordDto[];
  @ApiProperty({
    type: StepFailureDto,
    nullable: true,
    description: 'set while the queue cannot take a step (database or NATS failing); null otherwise',
  })
  stepFailure!: StepFailureDto | null;
}

export class PublishedDto {
  @ApiProperty({ example: 42, description: 'strictly increasing per customer' })
  webhookId!: number;
}
