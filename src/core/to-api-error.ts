import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { HttpException } from '@nestjs/common';
import { VersionConflictError } from '../../libs/domain/index.js';
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
    if (status === 400 && exception.cause instanceof SyntaxError) {
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
  if (exception instanceof VersionConflictError) {
    return new ApiError(
      409,
      'CONFLICT',
      'the customer was changed at the same time by another writer; try again',
    );
  }
  if (isNatsUnavailable(exception)) {
    return new ApiError(503, 'NATS_UNAVAILABLE', 'NATS is not reachable; nothing was changed, try again');
  }
  if (isDatabaseUnavailable(exception)) {
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

/** nats.js's errors for a connection that is down, closing or reconnecting, and requests nobody answered in time. */
const NATS_DOWN = [
  ConnectionError,
  ClosedConnectionError,
  DrainingConnectionError,
  TimeoutError,
  NoRespondersError,
  RequestError,
];

function isNatsUnavailable(error: unknown): boolean {
  // js.publish with no stream to answer throws a JetStreamNotEnabled (not exported by nats.js) caused by the RequestError.
  if (
    NATS_DOWN.some((type) => error instanceof type || (error as Error | undefined)?.cause instanceof type)
  ) {
    return true;
  }
  // A JetStream request with no responder (503) or expired on the server (408): e.g. while a stream
  // elects a leader; and the API's own 503s ("JetStream system temporarily unavailable").
  if (error instanceof JetStreamError) {
    // Its status subclass (not exported by nats.js) carries the status as `code`.
    const { code } = error as JetStreamError & { code?: unknown };
    return code === 503 || code === 408;
  }
  return error instanceof JetStreamApiError && error.status === 503;
}

/**
 * node-postgres reports a connection the server closed with a plain Error and no code
 * ('Connection terminated unexpectedly', the pool's '... due to connection timeout'): the one case
 * recognised by its text. Everything else has a SQLSTATE or a socket error code.
 */
const PG_TERMINATED = /^Connection terminated\b/;

function isDatabaseUnavailable(exception: unknown): boolean {
  if (!(exception instanceof Error)) {
    return false;
  }
  const error = exception as Error & { code?: unknown; driverError?: { code?: unknown } };
  const code = error.driverError?.code ?? error.code;
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || PG_TERMINATED.test(error.message);
}
