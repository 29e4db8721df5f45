import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

/** POST /v1/customers/{id}/status-links: how long the link lives and whether it may Retry and Refresh. */
export class StatusLinkRequestDto {
  @ApiPropertyOptional({
    default: 3600,
    minimum: 60,
    maximum: 2_592_000,
    description: 'lifetime (max 30 days)',
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(2_592_000)
  ttlSeconds?: number;

  @ApiPropertyOptional({ default: false, description: 'show Retry and Refresh on the page' })
  @IsOptional()
  @IsBoolean()
  actions?: boolean;
}

/** The signed link: give `url` to the customer (or embed it); `token` is the same credential alone. */
export class StatusLinkDto {
  @ApiProperty({ example: 'https://hookpost.example/ui/customers/acme?token=eyJj...' }) url!: string;
  @ApiProperty({ example: 'eyJjIjoiYWNtZSIsImEiOmZhbHNlLCJleHAiOjE3NjQwMDM2MDB9.k3J...' }) token!: string;
  @ApiProperty({ example: 'acme' }) customerId!: string;
  @ApiProperty({ example: false }) actions!: boolean;
  @ApiProperty({ example: 1764003600000, description: 'epoch ms' }) expiresAt!: number;
}
