import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { ApiError } from '../core/api-error.js';
import { HookpostCore } from '../core/hookpost-core.js';
import { OpenRoute } from '../http/route-access.js';

/** Readiness: NATS connected and the database answering within a second. No auth. */
@ApiTags('health')
@OpenRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly core: HookpostCore,
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
  ) {}

  @Get()
  async check(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => {
          const nats = this.indicator.check('nats');
          return this.core.nats.connection.isClosed() ? nats.down('connection closed') : nats.up();
        },
        () =>
          this.indicator
            .check('database')
            .attempt(() => this.core.store.ping())
            .withTimeout(1_000),
      ]);
    } catch (error) {
      const details = (error as { response?: unknown }).response;
      throw new ApiError(503, 'UNAVAILABLE', 'a dependency is down', details);
    }
  }
}
