import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HookpostCore } from '../core/hookpost-core.js';
import { OpenRoute } from '../http/route-access.js';

/** Prometheus text at /metrics: open, no secrets, no per-customer labels. */
@ApiExcludeController()
@OpenRoute()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly core: HookpostCore) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.core.metrics.registry.metrics();
  }
}
