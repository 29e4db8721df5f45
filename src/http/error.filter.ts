import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { ApiError } from '../core/api-error.js';
import { toApiError } from '../core/to-api-error.js';

/** Every HTTP failure leaves as `{ error: { code, message, details? } }`; nothing internal leaks. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const error = toApiError(exception);
    if (error.status >= 500 && !(exception instanceof ApiError)) {
      // Logged in full here, answered without internals.
      this.logger.error({ err: exception }, 'request failed');
    }
    if (error.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(error.retryAfterSeconds));
    }
    response.status(error.status).json(error.toBody());
  }
}
