import { HttpException } from '@nestjs/common';
import { SecretInRecordsError } from '../../libs/event-store/index.js';
import { QueueFullError } from '../../libs/queue/index.js';
import { ApiError } from './api-error.js';

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/**
 * Maps anything thrown to the one error shape: ours as they are, Nest's by status, a version
 * conflict as 409, NATS or database unavailability as 503, the rest as a 500 that says nothing internal.
 */
export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) {
    return exception;
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Express's JSON parser fails before any handler; Nest hands it over as a 400.
    if (status === 400 && (exception.cause instanceof SyntaxError || /JSON/.test(exception.message))) {
      return new ApiError(400, 'MALFORMED_JSON', 'the body is not valid JSON');
    }
    return new ApiError(
      status,
      HTTP_CODES[status] ?? `HTTP_${status}`,
      status === 404 ? 'no such route' : exception.message,
    );
  }
  if (isBodyParserError(exception)) {
    return exception.type === 'entity.too.large'
      ? new ApiError(413, 'PAYLOAD_TOO_LARGE', 'the body is larger than 300 KiB')
      : new ApiError(400, 'MALFORMED_JSON', 'the body is not valid JSON');
  }
  if (exception instanceof SecretInRecordsError) {
    return new ApiError(
      400,
      'SECRET_NOT_ALLOWED',
      'the secret must not appear in the url, the event types or the names Hookpost records (such as acceptAny2xx); choose another secret',
    );
  }
  if (exception instanceof QueueFullError) {
    return new ApiError(503, 'QUEUE_FULL', 'the queue is full; nothing was dropped, try again later');
  }
  const error = exception instanceof Error ? exception : new Error(String(exception));
  if (error.name === 'VersionConflictError') {
    return new ApiError(
      409,
      'CONFLICT',
      'the customer was changed at the same time by another writer; try again',
    );
  }
  if (isNatsUnavailable(error)) {
    return new ApiError(503, 'NATS_UNAVAILABLE', 'NATS is not reachable; nothing was changed, try again');
  }
  if (isDatabaseUnavailable(error)) {
    return new ApiError(
      503,
      'DATABASE_UNAVAILABLE',
      'the database is not reachable; nothing was changed, try again',
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

function isNatsUnavailable(error: Error): boolean {
  return (
    /^(ConnectionError|ClosedConnectionError|DrainingConnectionError|TimeoutError|NoRespondersError|RequestError)$/.test(
      error.name,
    ) ||
    (/connection (closed|draining)|timeout|no responders/i.test(error.message) &&
      /nats|jetstream|request|connection/i.test(error.message))
  );
}

function isDatabaseUnavailable(error: Error): boolean {
  const code =
    (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code ??
    (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
    /Connection terminated|database system is (shutting down|starting up)/i.test(error.message)
  );
}
