import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiError } from '../core/api-error.js';
import { HookpostCore } from '../core/hookpost-core.js';

/** Liveness and readiness in one: NATS connected and the database answering. No auth. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly core: HookpostCore) {}

  @Get()
  @HttpCode(200)
  async check(): Promise<{ status: 'ok'; nats: 'up'; database: 'up'; actors: number }> {
    const natsUp = !this.core.nats.connection.isClosed();
    const databaseUp = await this.core.store.ping().then(
      () => true,
      () => false,
    );
    if (!natsUp || !databaseUp) {
      throw new ApiError(503, 'UNAVAILABLE', 'a dependency is down', {
        nats: natsUp ? 'up' : 'down',
        database: databaseUp ? 'up' : 'down',
      });
    }
    return { status: 'ok', nats: 'up', database: 'up', actors: this.core.host.activeCount };
  }
}
