import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { HookpostCore } from '../core/hookpost-core.js';

/** Times every admin API request, labelled by route pattern (never the customerId itself). */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly core: HookpostCore) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const stop = this.core.metrics.httpDuration.startTimer({ method: request.method });
    response.once('finish', () => {
      const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
      stop({ route, status: String(response.statusCode) });
    });
    next();
  }
}
