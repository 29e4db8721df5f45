import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { ApiError } from '../core/api-error.js';

/** Every HTTP failure leaves as `{ error: { code, message, details? } }`; nothing internal leaks. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const error = toApiError(exception);
    if (error.status >= 500 && !(exception instanceof ApiError)) {
      this.logger.error({ err: exception }, 'request failed');
    }
    response.status(error.status).json(error.toBody());
  }
}

/** Maps anything thrown to an ApiError: ours as they are, Nest's by status, the rest as 500. */
export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) {
    return exception;
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const codes: Record<number, string> = {
      400: 'BAD_REQUEST',
      404: 'NOT_FOUND',
      413: 'PAYLOAD_TOO_LARGE',
      415: 'UNSUPPORTED_MEDIA_TYPE',
    };
    const message = status === 404 ? 'no such route' : exception.message;
    return new ApiError(status, codes[status] ?? `HTTP_${status}`, message);
  }
  if (isBodyParserError(exception)) {
    const tooLarge = exception.type === 'entity.too.large';
    return new ApiError(
      exception.status,
      tooLarge ? 'PAYLOAD_TOO_LARGE' : 'MALFORMED_JSON',
      tooLarge ? 'the body is too large' : 'the body is not valid JSON',
    );
  }
  return new ApiError(500, 'INTERNAL', 'internal error');
}

function isBodyParserError(value: unknown): value is { status: number; type: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    'status' in value &&
    typeof value.status === 'number'
  );
}
